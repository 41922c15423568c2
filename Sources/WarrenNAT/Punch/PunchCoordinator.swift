public import WarrenCrypto
public import WarrenWire

/// Decides which punch notices this node obeys, and towards which addresses (security issue
/// #11, finding 5: a notice makes this node send handshakes to up to eight addresses, so a
/// member that could send one at will had ~370x amplification towards anyone, including
/// this node's own loopback and LAN).
///
/// A notice is obeyed only
/// - from a node this node asked, for the peer it asked about, while that request is
///   outstanding: the peer's addresses come from the signed record it was looked up by; or
/// - from one of this node's own rendezvous nodes (those it publishes and keeps sessions
///   with), passing on a request: the peer's key and addresses come from the record the
///   requester signed, which the caller verifies.
/// The rendezvous node adds where it sees the peer (`PunchMessage.seen`): behind an
/// endpoint-dependent NAT that is the only address that helps, and it is the observation of
/// a node this one chose. Every address passes `policy`.
///
/// Sans-I/O and owned by the control thread: the caller says which rendezvous nodes it
/// publishes (`publish`), which requests it sends (`request`), and asks about each notice
/// (`admit`).
public struct PunchCoordinator: Sendable {
    /// How long the answers to a request are awaited (a rendezvous node answers at once).
    public static let requestLifetime: Duration = .seconds(10)
    /// Requests outstanding at once; more wait until older ones expire.
    public static let maxOutstanding = 256

    /// A rendezvous node to ask: its key and where its record says it is.
    public struct Node: Equatable, Sendable {
        public var publicKey: Key32
        public var endpoint: Endpoint

        public init(publicKey: Key32, endpoint: Endpoint) {
            self.publicKey = publicKey
            self.endpoint = endpoint
        }
    }

    /// What to do about an accepted notice: handshakes towards `peer` at `candidates`, and
    /// port guesses (`PortPrediction`) above `seen`, where the rendezvous node saw it.
    public struct Punch: Equatable, Sendable {
        public var peer: Key32
        public var candidates: [Endpoint]
        public var seen: Endpoint?
    }

    /// Why a notice is ignored; `description` is a sentence for debug logs.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case notANotice
        case unsolicited
        case badRecord
        case recordOfAnotherNode
        case noAddress

        public var description: String {
            switch self {
            case .notANotice: "only notices make this node punch"
            case .unsolicited: "the notice comes neither from a node this one asked nor from one of its rendezvous nodes"
            case .badRecord: "the requester's record does not verify"
            case .recordOfAnotherNode: "the requester's record belongs to another node"
            case .noAddress: "no address of the peer is acceptable"
            }
        }
    }

    struct Outstanding: Sendable {
        var asked: Set<Key32>
        let endpoints: [Endpoint]
        let expiresAt: Instant
    }

    public let own: Key32
    public let policy: EndpointPolicy
    public private(set) var rendezvous: Set<Key32> = []
    private(set) var outstanding: [Key32: Outstanding] = [:]

    public init(own: Key32, policy: EndpointPolicy) {
        self.own = own
        self.policy = policy
    }

    /// The rendezvous nodes this node publishes in its record.
    public mutating func publish(rendezvous nodes: [Key32]) {
        rendezvous = Set(nodes)
    }

    /// This node asks `nodes` (a peer's rendezvous nodes, from its signed record listing
    /// `endpoints`) to tell `peer` it wants to reach it. Returns the nodes to send the request
    /// to: those at acceptable addresses, other than this node. Their answers are awaited
    /// for `requestLifetime`.
    public mutating func request(towards peer: Key32, endpoints: [Endpoint], via nodes: [Node], now: Instant) -> [Node] {
        outstanding = outstanding.filter { $0.value.expiresAt > now }
        let asked = nodes.filter { $0.publicKey != own && $0.publicKey != peer && policy.admits($0.endpoint) }
        guard !asked.isEmpty, outstanding[peer] != nil || outstanding.count < Self.maxOutstanding else { return [] }
        outstanding[peer] = Outstanding(asked: Set(asked.map(\.publicKey)), endpoints: policy.admitted(endpoints),
                                        expiresAt: now + Self.requestLifetime)
        return asked
    }

    /// Whether the notice `sender` sent is obeyed, and how. `verifyRecord` checks a record's
    /// signature and certificate (as the DHT would before storing it) and returns whose it
    /// is and its endpoints, or nil.
    public mutating func admit(_ notice: PunchMessage, from sender: Key32, now: Instant,
                               verifyRecord: ([UInt8]) -> (publicKey: Key32, endpoints: [Endpoint])?) throws(Refusal) -> Punch {
        guard notice.kind == .notice else { throw .notANotice }
        let seen = notice.seen.flatMap { policy.admits($0) ? $0 : nil }
        let endpoints: [Endpoint]
        if var request = outstanding[notice.peer], request.expiresAt > now, request.asked.contains(sender) {
            // Each node asked answers once.
            request.asked.remove(sender)
            outstanding[notice.peer] = request.asked.isEmpty ? nil : request
            endpoints = request.endpoints
        } else {
            guard rendezvous.contains(sender), notice.peer != own else { throw .unsolicited }
            guard let record = verifyRecord(notice.record) else { throw .badRecord }
            guard record.publicKey == notice.peer else { throw .recordOfAnotherNode }
            endpoints = policy.admitted(record.endpoints)
        }
        var candidates = seen.map { [$0] } ?? []
        for e in endpoints where !candidates.contains(e) { candidates.append(e) }
        guard !candidates.isEmpty else { throw .noAddress }
        return Punch(peer: notice.peer, candidates: candidates, seen: seen)
    }
}
