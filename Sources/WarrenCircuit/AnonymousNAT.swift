public import WarrenCrypto
public import WarrenWire

/// The translation a circuit's last hop does for the packets it delivers: each leaves from
/// this node's own overlay address, from a port of `ports` chosen for its flow (ICMP echo:
/// an identifier), so the destination answers this node, which maps the answer back to the
/// circuit and port it came from. The sender's address never leaves the sender (it sends
/// 0.0.0.0), and the destination learns only that this node delivered it.
///
/// `ports` are outside Linux's default ephemeral range (32768–60999), so the host's own
/// connections do not collide with them; the receive path hands answers to those ports to
/// the control thread (`RoutingSnapshot.anonymousPorts`).
public struct AnonymousNAT: Sendable {
    public static let ports: ClosedRange<UInt16> = 61_000...65_535
    /// A mapping no packet used for this long is forgotten (a TCP connection idle longer
    /// must keep itself alive, as through any NAT).
    public static let idleLifetime: Duration = .seconds(300)
    public static let maxMappings = 65_536
    /// Free ports are found by random probes: a hundred, then the flow is refused (the
    /// range is nearly full towards that destination).
    static let probes = 100

    /// A flow as the sender made it, under the token its circuit attached
    /// (`CircuitCommand.attach`): a circuit that replaces a failed one takes its flows over.
    struct Inside: Hashable, Sendable {
        let token: UInt128
        let proto: UInt8
        let remote: IPv4Address
        let remotePort: UInt16
        let port: UInt16
    }

    /// The same flow as the destination sees it.
    struct Outside: Hashable, Sendable {
        let proto: UInt8
        let remote: IPv4Address
        let remotePort: UInt16
        let port: UInt16
    }

    private var outside: [Inside: Outside] = [:]
    private var inside: [Outside: (flow: Inside, lastUsed: Instant)] = [:]

    public init() {}

    public var count: Int { inside.count }

    /// Rewrites a packet the sender sent on the circuit `token` is attached to, to leave from
    /// `own`; returns its destination, or nil if it cannot be translated (drop it).
    public mutating func outbound(_ packet: inout [UInt8], token: UInt128, own: IPv4Address, now: Instant,
                                  random: inout some RandomSource) -> IPv4Address? {
        guard var flow = IPv4Flow(of: packet), flow.proto != IPv4Flow.icmp || flow.isEchoRequest(packet) else { return nil }
        let key = Inside(token: token, proto: flow.proto, remote: flow.destination,
                         remotePort: flow.proto == IPv4Flow.icmp ? 0 : flow.destinationPort, port: flow.sourcePort)
        let mapped: Outside
        if let existing = outside[key] {
            mapped = existing
        } else {
            guard inside.count < Self.maxMappings, let fresh = freePort(for: key, random: &random) else { return nil }
            mapped = fresh
            outside[key] = mapped
        }
        inside[mapped] = (key, now)
        flow.source = own
        flow.sourcePort = mapped.port
        flow.write(into: &packet)
        return flow.destination
    }

    /// An answer to one of the flows: rewritten to go back to the sender (addressed to
    /// 0.0.0.0, its ports as it chose them), with the token whose circuit to send it on; nil
    /// if no flow has that port (drop it).
    public mutating func inbound(_ packet: inout [UInt8], now: Instant) -> UInt128? {
        guard var flow = IPv4Flow(of: packet), flow.proto != IPv4Flow.icmp || !flow.isEchoRequest(packet) else { return nil }
        let key = Outside(proto: flow.proto, remote: flow.source, remotePort: flow.proto == IPv4Flow.icmp ? 0 : flow.sourcePort,
                          port: flow.destinationPort)
        guard let entry = inside[key] else { return nil }
        inside[key] = (entry.flow, now)
        flow.destination = IPv4Address(0)
        flow.destinationPort = entry.flow.port
        flow.write(into: &packet)
        return entry.flow.token
    }

    /// Forgets mappings idle for `idleLifetime`.
    public mutating func expire(now: Instant) {
        for (key, entry) in inside.filter({ now.since($0.value.lastUsed) >= Self.idleLifetime }) {
            inside[key] = nil
            outside[entry.flow] = nil
        }
    }

    private func freePort(for flow: Inside, random: inout some RandomSource) -> Outside? {
        let span = UInt64(Self.ports.upperBound - Self.ports.lowerBound) + 1
        for _ in 0..<Self.probes {
            let port = Self.ports.lowerBound + UInt16(random.next(below: span))
            let candidate = Outside(proto: flow.proto, remote: flow.remote, remotePort: flow.remotePort, port: port)
            if inside[candidate] == nil { return candidate }
        }
        return nil
    }
}
