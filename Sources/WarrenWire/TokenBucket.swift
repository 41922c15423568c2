/// A token bucket: `perSecond` requests per second on average, bursts up to `capacity`. One
/// per peer (or per source address) bounds what anybody can make this node do.
public struct TokenBucket: Sendable {
    public let capacity: Double
    public let perSecond: Double
    var tokens: Double
    var updatedAt: Instant

    public init(capacity: Double, perSecond: Double, now: Instant) {
        self.capacity = capacity
        self.perSecond = perSecond
        tokens = capacity
        updatedAt = now
    }

    public func isFull(now: Instant) -> Bool {
        tokens + now.since(updatedAt).secondsValue * perSecond >= capacity
    }

    public mutating func take(now: Instant) -> Bool {
        tokens = min(capacity, tokens + now.since(updatedAt).secondsValue * perSecond)
        updatedAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
