import DequeModule

/// Packets held until a circuit can carry them: a sender's, for its circuit routes, while
/// its first circuit is built. At most `perKey` per key (a destination) and `maxBytes` in
/// all; past either, the oldest go first (the newest packets are the ones a TCP flow inside
/// still waits for). Nothing is retransmitted: inner TCP does that. (A relay's messages for
/// a next hop it still handshakes with wait in the session's own bounded queue.)
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

    /// Messages held.
    public private(set) var count = 0
    var arrivalsCount: Int { arrivals.count }

    public mutating func enqueue(_ message: [UInt8], for key: Key) {
        var queue = queues.removeValue(forKey: key) ?? []
        if queue.count >= Self.perKey, let oldest = queue.popFirst() {
            byteCount -= oldest.bytes.count
            count -= 1
            dropped += 1
        }
        queue.append((nextSequence, message))
        queues[key] = queue
        arrivals.append((nextSequence, key))
        nextSequence += 1
        byteCount += message.count
        count += 1
        while byteCount > Self.maxBytes, let (sequence, key) = arrivals.popFirst() {
            guard let front = queues[key]?.first, front.sequence == sequence else { continue }
            queues[key]!.removeFirst()
            if queues[key]!.isEmpty { queues[key] = nil }
            byteCount -= front.bytes.count
            count -= 1
            dropped += 1
        }
        compactArrivals()
    }

    /// Everything held, oldest first, whatever its key.
    public mutating func takeAll() -> [[UInt8]] {
        var all: [[UInt8]] = []
        while let (sequence, key) = arrivals.popFirst() {
            guard let front = queues[key]?.first, front.sequence == sequence else { continue }
            all.append(queues[key]!.removeFirst().bytes)
            if queues[key]!.isEmpty { queues[key] = nil }
        }
        byteCount = 0
        count = 0
        return all
    }

    /// Dropped messages stay in `arrivals` until reached; rebuild it before they outnumber
    /// the held ones, so it never grows past what is held.
    private mutating func compactArrivals() {
        guard arrivals.count > 2 * count + 64 else { return }
        arrivals = Deque(queues.flatMap { key, queue in queue.map { ($0.sequence, key) } }.sorted { $0.0 < $1.0 })
    }
}
