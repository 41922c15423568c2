import DequeModule

/// Messages held until the session they must go out on is up: a relay's messages for a next
/// hop it is still handshaking with, a sender's for its guard. At most `perKey` per circuit
/// and `maxBytes` in all; past either, the oldest go first (the newest packets are the ones
/// a TCP flow inside still waits for). Nothing is retransmitted: inner TCP does that.
public struct CircuitQueues<Key: Hashable & Sendable>: Sendable {
    public static var perKey: Int { 256 }
    public static var maxBytes: Int { 16 << 20 }

    private var queues: [Key: Deque<(sequence: UInt64, bytes: [UInt8])>] = [:]
    /// Every held message in arrival order (some already taken: skipped when reached).
    private var arrivals: Deque<(sequence: UInt64, key: Key)> = []
    private var nextSequence: UInt64 = 0
    public private(set) var byteCount = 0
    /// Messages dropped to stay within the bounds.
    public private(set) var dropped = 0

    public init() {}

    public var count: Int { queues.values.reduce(0) { $0 + $1.count } }
    var arrivalsCount: Int { arrivals.count }

    public mutating func enqueue(_ message: [UInt8], for key: Key) {
        var queue = queues.removeValue(forKey: key) ?? []
        if queue.count >= Self.perKey, let oldest = queue.popFirst() {
            byteCount -= oldest.bytes.count
            dropped += 1
        }
        queue.append((nextSequence, message))
        queues[key] = queue
        arrivals.append((nextSequence, key))
        nextSequence += 1
        byteCount += message.count
        while byteCount > Self.maxBytes, let (sequence, key) = arrivals.popFirst() {
            guard let front = queues[key]?.first, front.sequence == sequence else { continue }
            queues[key]!.removeFirst()
            if queues[key]!.isEmpty { queues[key] = nil }
            byteCount -= front.bytes.count
            dropped += 1
        }
    }

    /// Everything held for `key`, oldest first, now that it can be sent.
    public mutating func take(for key: Key) -> [[UInt8]] {
        guard let queue = queues.removeValue(forKey: key) else { return [] }
        byteCount -= queue.reduce(0) { $0 + $1.bytes.count }
        // Taken messages stay in `arrivals` until reached; rebuild it before they outnumber
        // the held ones, so it never grows past what is held.
        let held = count
        if arrivals.count > 2 * held + 64 {
            arrivals = Deque(queues.flatMap { key, queue in queue.map { ($0.sequence, key) } }.sorted { $0.0 < $1.0 })
        }
        return queue.map(\.bytes)
    }
}
