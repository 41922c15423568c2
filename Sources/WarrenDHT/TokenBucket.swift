public import WarrenWire

/// A token bucket: `perSecond` requests per second on average, bursts up to `capacity`. One
/// per peer bounds what any member can make this node do.
struct TokenBucket: Sendable {
    let capacity: Double
    let perSecond: Double
    var tokens: Double
    var updatedAt: Instant

    init(capacity: Double, perSecond: Double, now: Instant) {
        self.capacity = capacity
        self.perSecond = perSecond
        tokens = capacity
        updatedAt = now
    }

    func isFull(now: Instant) -> Bool {
        tokens + now.since(updatedAt).secondsValue * perSecond >= capacity
    }

    mutating func take(now: Instant) -> Bool {
        tokens = min(capacity, tokens + now.since(updatedAt).secondsValue * perSecond)
        updatedAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
