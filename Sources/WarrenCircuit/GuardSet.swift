public import WarrenCrypto

/// The relays this node enters circuits through, kept as Tor's guard-spec keeps them: a
/// sample of at most 20, saved across restarts, each for a random 60–120 days; circuits go
/// through the first listed one of the first three (a primary and two backups, in the order
/// they were sampled), so an adversary's relay becomes this node's guard rarely and stays
/// out once it is not, instead of being one draw away at every circuit.
///
/// Sans-I/O: the node core feeds it the listed relays and build outcomes with the wall
/// clock's time; the daemon saves it (`Codable`).
public struct GuardSet: Codable, Equatable, Sendable {
    public static let maxSampled = 20
    public static let primaryCount = 3
    static let daySeconds: UInt64 = 86_400
    public static let lifetimeDays: ClosedRange<UInt64> = 60...120
    /// A guard whose builds failed is passed over for this long, then tried again.
    public static let retrySeconds: UInt64 = 600
    /// Builds through a guard before its success rate is judged.
    public static let judgedAfter = 20
    /// Success rates below which a warning is given, each once per guard.
    public static let warningRates = [0.7, 0.5, 0.3]

    public struct Guard: Codable, Equatable, Sendable {
        public let node: Key32
        public let sampledAt: UInt64
        public let expiresAt: UInt64
        public internal(set) var builds = 0
        public internal(set) var successes = 0
        /// The lowest rate in `warningRates` a warning was given for.
        public internal(set) var warnedBelow: Double?
        /// Set when a build through it failed; cleared by a success.
        public internal(set) var failedAt: UInt64?

        public var successRate: Double { builds == 0 ? 1 : Double(successes) / Double(builds) }

        enum CodingKeys: String, CodingKey { case node, sampledAt, expiresAt, builds, successes, warnedBelow, failedAt }

        init(node: Key32, sampledAt: UInt64, expiresAt: UInt64) {
            self.node = node
            self.sampledAt = sampledAt
            self.expiresAt = expiresAt
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let text = try c.decode(String.self, forKey: .node)
            guard let raw = Encoding.fromBase64(text), let node = Key32(bytes: raw) else {
                throw DecodingError.dataCorruptedError(forKey: .node, in: c, debugDescription: "\"\(text)\" is not a base64 public key")
            }
            self.node = node
            sampledAt = try c.decode(UInt64.self, forKey: .sampledAt)
            expiresAt = try c.decode(UInt64.self, forKey: .expiresAt)
            builds = try c.decode(Int.self, forKey: .builds)
            successes = try c.decode(Int.self, forKey: .successes)
            warnedBelow = try c.decodeIfPresent(Double.self, forKey: .warnedBelow)
            failedAt = try c.decodeIfPresent(UInt64.self, forKey: .failedAt)
            guard sampledAt < expiresAt else {
                throw DecodingError.dataCorruptedError(forKey: .expiresAt, in: c, debugDescription: "a guard that expires before it was sampled")
            }
            guard 0 <= successes, successes <= builds else {
                throw DecodingError.dataCorruptedError(forKey: .successes, in: c, debugDescription: "\(successes) successes of \(builds) builds")
            }
            guard warnedBelow.map(GuardSet.warningRates.contains) ?? true else {
                throw DecodingError.dataCorruptedError(forKey: .warnedBelow, in: c, debugDescription: "not a warning rate")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(node.description, forKey: .node)
            try c.encode(sampledAt, forKey: .sampledAt)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(builds, forKey: .builds)
            try c.encode(successes, forKey: .successes)
            try c.encodeIfPresent(warnedBelow, forKey: .warnedBelow)
            try c.encodeIfPresent(failedAt, forKey: .failedAt)
        }
    }

    public private(set) var sampled: [Guard] = []

    public init() {}

    enum CodingKeys: String, CodingKey { case sampled }

    /// A saved sample is taken back only as the node keeps it: at most `maxSampled`, each
    /// relay once (a file with more would keep its extra guards for months).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sampled = try c.decode([Guard].self, forKey: .sampled)
        guard sampled.count <= Self.maxSampled else {
            throw DecodingError.dataCorruptedError(forKey: .sampled, in: c, debugDescription: "\(sampled.count) guards, at most \(Self.maxSampled)")
        }
        guard Set(sampled.map(\.node)).count == sampled.count else {
            throw DecodingError.dataCorruptedError(forKey: .sampled, in: c, debugDescription: "a relay sampled twice")
        }
    }

    /// Drops guards past their lifetime and samples listed relays, uniformly, until the
    /// sample is full or every listed relay is in it. A guard no longer listed stays in the
    /// sample (it may come back) but is not used.
    public mutating func update(listed: [CircuitRelayInfo], now: UInt64, random: inout some RandomSource) {
        sampled.removeAll { now >= $0.expiresAt }
        var candidates = listed.filter { relay in !sampled.contains { $0.node == relay.node } }
        while sampled.count < Self.maxSampled, !candidates.isEmpty {
            let relay = candidates.remove(at: Int(random.next(below: UInt64(candidates.count))))
            let days = Self.lifetimeDays.lowerBound + random.next(below: Self.lifetimeDays.upperBound - Self.lifetimeDays.lowerBound + 1)
            sampled.append(Guard(node: relay.node, sampledAt: now, expiresAt: now + days * Self.daySeconds))
        }
    }

    /// The primary guards: the first `primaryCount` sampled guards that are listed.
    public func primaries(listed: Set<Key32>) -> [Guard] {
        Array(sampled.lazy.filter { listed.contains($0.node) }.prefix(Self.primaryCount))
    }

    /// The guard to build the next circuit through: the first primary whose last build did
    /// not fail in the past `retrySeconds`, or else the one that failed longest ago.
    public func current(listed: Set<Key32>, now: UInt64) -> Key32? {
        let primaries = primaries(listed: listed)
        if let usable = primaries.first(where: { guardian in
            guardian.failedAt.map { now >= $0 + Self.retrySeconds } ?? true
        }) {
            return usable.node
        }
        return primaries.min { ($0.failedAt ?? 0) < ($1.failedAt ?? 0) }?.node
    }

    /// `node` cannot be reached now (its session was lost, or it never answered a build's
    /// create): it is passed over for `retrySeconds`.
    public mutating func unreachable(_ node: Key32, now: UInt64) {
        guard let i = sampled.firstIndex(where: { $0.node == node }) else { return }
        sampled[i].failedAt = now
    }

    /// Records a build through `node`, which counts towards its success rate only: a build
    /// that failed beyond the guard does not pass the guard over, or a hostile later hop
    /// could steer the sender from guard to guard by failing its builds (as Tor's guard-spec,
    /// which marks a guard unreachable only when the guard itself fails; see `unreachable`).
    /// Returns the guard's success rate when it first falls below one of `warningRates`
    /// (after `judgedAfter` builds), to be logged as a warning: a guard that fails many
    /// builds may be one that drops circuits it does not like.
    public mutating func recordBuild(through node: Key32, succeeded: Bool, now: UInt64) -> Double? {
        guard let i = sampled.firstIndex(where: { $0.node == node }) else { return nil }
        sampled[i].builds += 1
        if succeeded {
            sampled[i].successes += 1
            sampled[i].failedAt = nil
        }
        let rate = sampled[i].successRate
        guard sampled[i].builds >= Self.judgedAfter,
              let crossed = Self.warningRates.last(where: { rate < $0 }),
              crossed < (sampled[i].warnedBelow ?? 1) else { return nil }
        sampled[i].warnedBelow = crossed
        return rate
    }
}
