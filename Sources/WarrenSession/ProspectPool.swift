public import WarrenCrypto

/// The keys of peers no certificate has vouched for yet (prospects): DHT contacts this node
/// sends a query to, nodes a punch notice or a relay's `bound` message names. Anyone can
/// invent such keys (a member's `.nodes` answer lists 20 at a time), so they never enter
/// the peer table for good: the pool holds at most `capacity` of them and, when full, the
/// one used least recently makes room for the newcomer. A prospect leaves the pool when a
/// handshake proves its certificate (it becomes a peer like any other) or when it is evicted
/// or pruned (its state is then dropped).
///
/// A plain value owned by the `SessionManager`; eviction scans the pool, which is small.
struct ProspectPool {
    let capacity: Int
    /// Each key with the tick of its last use; the smallest is evicted first.
    private var lastUse: [Key32: UInt64] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a prospect pool holds at least one key")
        self.capacity = capacity
    }

    var count: Int { lastUse.count }
    var keys: Dictionary<Key32, UInt64>.Keys { lastUse.keys }

    func contains(_ key: Key32) -> Bool { lastUse[key] != nil }

    /// Marks `key` as just used, adding it if new. Returns the key evicted to make room.
    mutating func use(_ key: Key32) -> Key32? {
        clock &+= 1
        var evicted: Key32?
        if lastUse[key] == nil, lastUse.count >= capacity, let oldest = lastUse.min(by: { $0.value < $1.value })?.key {
            lastUse[oldest] = nil
            evicted = oldest
        }
        lastUse[key] = clock
        return evicted
    }

    mutating func remove(_ key: Key32) { lastUse[key] = nil }
}
