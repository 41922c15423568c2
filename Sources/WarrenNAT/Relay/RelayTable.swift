public import WarrenCrypto
public import WarrenWire

/// A relay's channel bindings. Each joined pair of members gets two channels, one per
/// direction; a pair stays bound while either side asks again or traffic flows, and is
/// forgotten after `idleLifetime` without either. Bounded: at most `maxPairs` pairs, and
/// `maxPairsPerMember` per member, so no member can fill the table.
public struct RelayTable {
    public static let idleLifetime: Duration = .seconds(180)
    public static let maxPairs = 4096
    public static let maxPairsPerMember = 64

    struct Pair {
        /// The pair's members in key order, and the channel each sends on.
        let members: (Key32, Key32)
        let channels: (UInt32, UInt32)
        let counters: (RelayCounters, RelayCounters)
        var requestedAt: Instant
    }

    struct PairKey: Hashable {
        let low: Key32
        let high: Key32
    }

    var pairs: [PairKey: Pair] = [:]
    var channels: Set<UInt32> = []
    /// Bumped whenever the bindings change; the caller rebuilds `forwarding` then.
    public private(set) var version: UInt64 = 0

    public init() {}

    public var count: Int { pairs.count }

    /// Binds (or renews) channels joining `requester` and `peer`. Returns the channel each
    /// sends on, or nil when the table or the requester's share of it is full.
    public mutating func bind(_ requester: Key32, to peer: Key32, now: Instant,
                              random: inout some RandomSource) -> (requester: UInt32, peer: UInt32)? {
        precondition(requester != peer)
        let key = PairKey(low: min(requester, peer), high: max(requester, peer))
        if var pair = pairs[key] {
            pair.requestedAt = now
            pairs[key] = pair
            return requester == pair.members.0 ? pair.channels : (pair.channels.1, pair.channels.0)
        }
        guard pairs.count < Self.maxPairs,
              pairs.keys.count(where: { $0.low == requester || $0.high == requester }) < Self.maxPairsPerMember else { return nil }
        let channels = (newChannel(&random), newChannel(&random))
        pairs[key] = Pair(members: (key.low, key.high), channels: channels, counters: (RelayCounters(), RelayCounters()),
                          requestedAt: now)
        version &+= 1
        return requester == key.low ? channels : (channels.1, channels.0)
    }

    private mutating func newChannel(_ random: inout some RandomSource) -> UInt32 {
        while true {
            let candidate: UInt32 = random.next()
            if candidate != 0, channels.insert(candidate).inserted { return candidate }
        }
    }

    /// Forgets pairs idle for `idleLifetime`, and those with a member that `isConnected`
    /// says is gone.
    public mutating func expire(now: Instant, isConnected: (Key32) -> Bool) {
        let before = pairs.count
        pairs = pairs.filter { _, pair in
            let used = max(pair.requestedAt, Instant(nanoseconds: max(pair.counters.0.lastUsed.load(ordering: .relaxed),
                                                                      pair.counters.1.lastUsed.load(ordering: .relaxed))))
            let keep = now.since(used) < Self.idleLifetime && isConnected(pair.members.0) && isConnected(pair.members.1)
            if !keep {
                channels.remove(pair.channels.0)
                channels.remove(pair.channels.1)
            }
            return keep
        }
        if pairs.count != before { version &+= 1 }
    }

    /// The packet threads' table, with each member's endpoint as `endpoint` gives it (pairs
    /// with a member it does not know are left out).
    public func forwarding(endpoint: (Key32) -> Endpoint?) -> RelayForwarding {
        var forwarding = RelayForwarding()
        for pair in pairs.values {
            guard let first = endpoint(pair.members.0), let second = endpoint(pair.members.1) else { continue }
            forwarding.entries[pair.channels.0] = .init(source: first, destination: second, channel: pair.channels.1,
                                                        counters: pair.counters.0)
            forwarding.entries[pair.channels.1] = .init(source: second, destination: first, channel: pair.channels.0,
                                                        counters: pair.counters.1)
        }
        return forwarding
    }

    /// Datagrams and bytes forwarded on every channel, for `warren status`.
    public var totals: (packets: UInt64, bytes: UInt64) {
        var packets: UInt64 = 0, bytes: UInt64 = 0
        for pair in pairs.values {
            for c in [pair.counters.0, pair.counters.1] {
                packets &+= c.packets.load(ordering: .relaxed)
                bytes &+= c.bytes.load(ordering: .relaxed)
            }
        }
        return (packets, bytes)
    }
}
