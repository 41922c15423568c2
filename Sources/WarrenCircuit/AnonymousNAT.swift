public import Synchronization
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

    /// One translated flow, shared with the packet threads' copies of this table: they use
    /// it, only the control thread makes or forgets one.
    final class Mapping: Sendable {
        let flow: Inside
        let outside: Outside
        private let lastUsed: Atomic<UInt64>

        init(flow: Inside, outside: Outside, now: Instant) {
            self.flow = flow
            self.outside = outside
            lastUsed = Atomic(now.nanoseconds)
        }

        var lastUsedAt: Instant { Instant(nanoseconds: lastUsed.load(ordering: .relaxed)) }

        @inline(__always)
        func used(now: Instant) { lastUsed.store(now.nanoseconds, ordering: .relaxed) }
    }

    private var outside: [Inside: Mapping] = [:]
    private var inside: [Outside: Mapping] = [:]
    /// Changes whenever a mapping is made or forgotten.
    public private(set) var version = 0

    public init() {}

    public var count: Int { inside.count }

    /// Rewrites a packet the sender sent on the circuit `token` is attached to, to leave from
    /// `own`; returns its destination, or nil if it cannot be translated (drop it).
    public mutating func outbound(_ packet: inout [UInt8], token: UInt128, own: IPv4Address, now: Instant,
                                  random: inout some RandomSource) -> IPv4Address? {
        if let destination = packet.withUnsafeMutableBytes({ translateOut($0, token: token, own: own, now: now) }) { return destination }
        guard let flow = IPv4Flow(of: packet), let key = Self.inside(flow, of: packet, token: token), outside[key] == nil,
              inside.count < Self.maxMappings, let fresh = freePort(for: key, random: &random) else { return nil }
        let mapping = Mapping(flow: key, outside: fresh, now: now)
        outside[key] = mapping
        inside[fresh] = mapping
        version += 1
        return packet.withUnsafeMutableBytes { translateOut($0, token: token, own: own, now: now) }
    }

    /// `outbound` for a flow that has its mapping already, in place; nil for one that has
    /// none (the control thread makes it) or cannot be translated.
    @inline(__always)
    public func translateOut(_ packet: UnsafeMutableRawBufferPointer, token: UInt128, own: IPv4Address, now: Instant) -> IPv4Address? {
        guard var flow = IPv4Flow(of: UnsafeRawBufferPointer(packet)),
              let key = Self.inside(flow, of: UnsafeRawBufferPointer(packet), token: token), let mapping = outside[key] else { return nil }
        mapping.used(now: now)
        flow.source = own
        flow.sourcePort = mapping.outside.port
        flow.write(into: packet)
        return flow.destination
    }

    /// An answer to one of the flows: rewritten to go back to the sender (addressed to
    /// 0.0.0.0, its ports as it chose them), with the token whose circuit to send it on; nil
    /// if no flow has that port (drop it).
    public func inbound(_ packet: inout [UInt8], now: Instant) -> UInt128? {
        packet.withUnsafeMutableBytes { translateIn($0, now: now) }
    }

    /// `inbound` in place.
    @inline(__always)
    public func translateIn(_ packet: UnsafeMutableRawBufferPointer, now: Instant) -> UInt128? {
        guard var flow = IPv4Flow(of: UnsafeRawBufferPointer(packet)),
              flow.proto != IPv4Flow.icmp || !flow.isEchoRequest(UnsafeRawBufferPointer(packet)) else { return nil }
        let key = Outside(proto: flow.proto, remote: flow.source, remotePort: flow.proto == IPv4Flow.icmp ? 0 : flow.sourcePort,
                          port: flow.destinationPort)
        guard let mapping = inside[key] else { return nil }
        mapping.used(now: now)
        flow.destination = IPv4Address(0)
        flow.destinationPort = mapping.flow.port
        flow.write(into: packet)
        return mapping.flow.token
    }

    /// Forgets mappings idle for `idleLifetime`.
    public mutating func expire(now: Instant) {
        for (key, mapping) in inside where now.since(mapping.lastUsedAt) >= Self.idleLifetime {
            inside[key] = nil
            outside[mapping.flow] = nil
            version += 1
        }
    }

    /// The key of a packet the sender sent: nil for ICMP other than an echo request.
    @inline(__always)
    private static func inside(_ flow: IPv4Flow, of packet: UnsafeRawBufferPointer, token: UInt128) -> Inside? {
        guard flow.proto != IPv4Flow.icmp || flow.isEchoRequest(packet) else { return nil }
        return Inside(token: token, proto: flow.proto, remote: flow.destination,
                      remotePort: flow.proto == IPv4Flow.icmp ? 0 : flow.destinationPort, port: flow.sourcePort)
    }

    private static func inside(_ flow: IPv4Flow, of packet: [UInt8], token: UInt128) -> Inside? {
        packet.withUnsafeBytes { inside(flow, of: $0, token: token) }
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
