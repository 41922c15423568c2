public import WarrenCrypto
public import WarrenWire

/// Which relay a member asks to join it to a peer. A peer's rendezvous nodes keep sessions
/// with it, so any of them that is a relay can bind the pair; asking all of them would bind
/// the pair at each, and a relay's table (`RelayTable.maxPairs`) would fill that many times
/// faster. So one is asked at a time: the first chosen by the pair's keys, which spreads
/// members' pairs over the relays, and the next when no `bound` came within `answerWait`.
///
/// Sans-I/O and owned by the control thread: the caller starts a request (`start`), says
/// when a relay bound the pair (`bound`), and asks at `nextDeadline` whom to ask next (`due`).
public struct RelayRequests: Sendable {
    /// How long a relay's `bound` is awaited before the next relay is asked.
    public static let answerWait: Duration = .seconds(1)
    /// Peers with a request under way; more are not asked for until older ones end.
    public static let maxOutstanding = 256

    struct Outstanding: Sendable {
        var remaining: [PunchCoordinator.Node]
        var askNextAt: Instant
    }

    public let own: Key32
    private var outstanding: [Key32: Outstanding] = [:]

    public init(own: Key32) {
        self.own = own
    }

    public var count: Int { outstanding.count }

    /// Starts asking `relays` (the peer's rendezvous nodes) to join this node to `peer`.
    /// Returns the one to ask now; nil when a request is already under way or there is no
    /// room for one.
    public mutating func start(towards peer: Key32, relays: [PunchCoordinator.Node], now: Instant) -> PunchCoordinator.Node? {
        var candidates = relays.filter { $0.publicKey != own && $0.publicKey != peer }
        guard !candidates.isEmpty, outstanding[peer] == nil, outstanding.count < Self.maxOutstanding else { return nil }
        let first = Self.spread(own, peer) % candidates.count
        candidates = Array(candidates[first...] + candidates[..<first])
        let asked = candidates.removeFirst()
        if !candidates.isEmpty { outstanding[peer] = Outstanding(remaining: candidates, askNextAt: now + Self.answerWait) }
        return asked
    }

    /// A relay bound the pair: nobody else is asked.
    public mutating func bound(towards peer: Key32) {
        outstanding[peer] = nil
    }

    /// The relays to ask now, one per peer whose last one did not answer in time.
    public mutating func due(now: Instant) -> [(peer: Key32, relay: PunchCoordinator.Node)] {
        var asks: [(peer: Key32, relay: PunchCoordinator.Node)] = []
        for (peer, var request) in outstanding where now >= request.askNextAt {
            asks.append((peer, request.remaining.removeFirst()))
            request.askNextAt = now + Self.answerWait
            outstanding[peer] = request.remaining.isEmpty ? nil : request
        }
        return asks.sorted { $0.peer < $1.peer }
    }

    public func nextDeadline() -> Instant? {
        outstanding.values.map(\.askNextAt).min()
    }

    /// A number the pair's keys give, the same on every run: which relay a pair tries first.
    static func spread(_ a: Key32, _ b: Key32) -> Int {
        var mix = 0
        for i in 0..<8 { mix = mix &* 31 &+ Int(a[i] ^ b[i]) }
        return abs(mix % 65_521)
    }
}
