/// One `TokenBucket` per key (a peer, a source address), for as many keys as `maxKeys`:
/// when a new key finds the table full, the keys whose buckets have refilled are forgotten
/// (they have been quiet long enough to start afresh), and if none has, the newcomer is
/// refused. So a flood from many sources costs bounded memory and is itself limited.
public struct KeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    public let capacity: Double
    public let perSecond: Double
    public let maxKeys: Int
    private var buckets: [Key: TokenBucket] = [:]

    public init(capacity: Double, perSecond: Double, maxKeys: Int) {
        self.capacity = capacity
        self.perSecond = perSecond
        self.maxKeys = maxKeys
    }

    /// Takes a token for `key`; false when it has none left (or no room for a new key).
    public mutating func allow(_ key: Key, now: Instant) -> Bool {
        if buckets[key] == nil, buckets.count >= maxKeys {
            buckets = buckets.filter { !$0.value.isFull(now: now) }
            guard buckets.count < maxKeys else { return false }
        }
        var bucket = buckets[key] ?? TokenBucket(capacity: capacity, perSecond: perSecond, now: now)
        defer { buckets[key] = bucket }
        return bucket.take(now: now)
    }
}
