public import WarrenWire

/// One line of an exit policy: what to do with a packet for some destinations, protocols and
/// ports. Written as in Tor's ExitPolicy, but over IP packets rather than TCP streams, so the
/// protocol is part of the rule:
///
///     accept|reject [tcp|udp|icmp] *|ADDRESS|PREFIX [port N[-M][,…]]
///
/// `*` is every address of both families; `icmp` is ICMP for IPv4 and ICMPv6 for IPv6; a
/// rule with ports matches only packets that carry one (TCP, UDP, UDP-Lite, SCTP, DCCP), and
/// of those only
/// a first fragment.
public struct ExitPolicyRule: Hashable, Sendable, CustomStringConvertible {
    public enum Action: String, Hashable, Sendable {
        case accept, reject
    }

    public enum Protocols: String, Hashable, Sendable {
        case any, tcp, udp, icmp
    }

    public var action: Action
    public var protocols: Protocols
    /// Nil for `*`.
    public var destination: IPPrefix?
    /// Nil for every port, and for packets without ports.
    public var ports: [ClosedRange<UInt16>]?

    public init(_ action: Action, _ protocols: Protocols = .any, to destination: IPPrefix? = nil,
                ports: [ClosedRange<UInt16>]? = nil) {
        precondition(ports == nil || protocols != .icmp, "ICMP has no ports")
        self.action = action
        self.protocols = protocols
        self.destination = destination
        self.ports = ports
    }

    /// Whether this rule matches everything, so that nothing after it is ever reached.
    public var isCatchAll: Bool { protocols == .any && destination == nil && ports == nil }

    public func matches(_ destination: IPAddress, _ transport: IPPacket.Transport) -> Bool {
        if let prefix = self.destination, !prefix.contains(destination) { return false }
        switch protocols {
        case .any: break
        case .tcp: guard transport.proto == IPPacket.Transport.tcp else { return false }
        case .udp: guard transport.proto == IPPacket.Transport.udp else { return false }
        case .icmp:
            guard transport.proto == (destination.isIPv4 ? IPPacket.Transport.icmp : IPPacket.Transport.icmpv6) else { return false }
        }
        guard let ports else { return true }
        guard let port = transport.destinationPort else { return false }
        return ports.contains { $0.contains(port) }
    }

    public var description: String {
        var words = [action.rawValue]
        if protocols != .any { words.append(protocols.rawValue) }
        words.append(destination.map { $0.isHost ? "\($0.address)" : "\($0)" } ?? "*")
        if let ports { words.append("port " + Self.describe(ports, separator: ",")) }
        return words.joined(separator: " ")
    }

    /// Port ranges as `N` or `N-M`, for this syntax and for nftables' sets alike.
    public static func describe(_ ports: [ClosedRange<UInt16>], separator: String) -> String {
        ports.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: separator)
    }
}

extension ExitPolicyRule {
    /// Reads a rule as `description` writes it; the error says which word is wrong and why.
    public init(parsing text: String) throws(ExitPolicyError) {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)[...]
        func fail(_ problem: String) -> ExitPolicyError { ExitPolicyError(rule: text, problem: problem) }
        guard let first = words.popFirst(), let action = Action(rawValue: first) else {
            throw fail("a rule starts with accept or reject")
        }
        var protocols = Protocols.any
        if let word = words.first, let named = Protocols(rawValue: word), named != .any {
            protocols = named
            words.removeFirst()
        }
        guard let target = words.popFirst() else { throw fail("no destination: * or an address or prefix") }
        var destination: IPPrefix?
        if target != "*" {
            guard let prefix = IPPrefix(target) else { throw fail("\(target) is not *, an address or a prefix") }
            guard prefix.network == prefix else { throw fail("\(target) has host bits set (did you mean \(prefix.network)?)") }
            destination = prefix
        }
        var ports: [ClosedRange<UInt16>]?
        if let word = words.popFirst() {
            guard word == "port", let list = words.popFirst() else { throw fail("after the destination comes only port N[-M][,…]") }
            guard protocols != .icmp else { throw fail("ICMP has no ports") }
            ports = try list.split(separator: ",", omittingEmptySubsequences: false).map { item throws(ExitPolicyError) in
                let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                guard let low = UInt16(bounds[0]), let high = bounds.count == 2 ? UInt16(bounds[1]) : low, low >= 1, low <= high else {
                    throw fail("\(item) is not a port (1–65535) or a range of them, low-high")
                }
                return low...high
            }
        }
        guard words.isEmpty else { throw fail("unexpected \(words.joined(separator: " ")) at the end") }
        self.init(action, protocols, to: destination, ports: ports)
    }
}

/// A policy rule that cannot be read.
public struct ExitPolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let rule: String
    public let problem: String

    public var description: String { "\"\(rule)\": \(problem)" }
}
