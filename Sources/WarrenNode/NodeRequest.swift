public import WarrenWire

/// Names a control request until its reply; chosen by the host.
public typealias RequestID = UInt64

/// A control-socket request (one line of words, as `warren status`, `lookup`, `ping` and
/// `netcheck` send it).
public enum NodeRequest: Equatable, Sendable {
    case status
    /// One DHT lookup of an overlay address's record.
    case lookup(IPv4Address)
    /// Path probes to a peer, named by certificate name or overlay address.
    case ping(String, count: Int)
    case netcheck
    /// This node's own circuits.
    case circuits
    /// New flows on circuits built from now on; then this node's circuits.
    case renewCircuits

    public static let maxPingCount = 100

    /// Parses a request line; an error is the message to answer with.
    public static func parse(_ line: String) -> Result<NodeRequest, RequestError> {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        switch (words.first, words.count) {
        case ("status", 1): return .success(.status)
        case ("lookup", 2):
            guard let address = IPv4Address(words[1]) else { return .failure(RequestError("not an IPv4 address")) }
            return .success(.lookup(address))
        case ("ping", 3):
            let count = Int(words[2]) ?? 3
            return .success(.ping(String(words[1]), count: max(1, min(count, maxPingCount))))
        case ("netcheck", 1): return .success(.netcheck)
        case ("circuits", 1): return .success(.circuits)
        case ("circuits", 2) where words[1] == "renew": return .success(.renewCircuits)
        default: return .failure(RequestError("unknown request"))
        }
    }
}

public struct RequestError: Error, Equatable, Sendable {
    public let message: String
    init(_ message: String) { self.message = message }
}

/// A request's answer, a report the CLI decodes.
public enum NodeReply: Sendable {
    case status(StatusReport)
    case lookup(LookupReport)
    case ping(PingReport)
    case netcheck(NetCheckReport)
    case circuits(CircuitsReport)
}
