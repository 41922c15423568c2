import Testing
@testable import WarrenCircuit

@Suite("Circuit queues")
struct CircuitQueuesTests {
    @Test("at most 256 per circuit, the oldest dropped, the rest handed over in order")
    func perCircuit() {
        var queues = CircuitQueues<Int>()
        for i in 0..<300 { queues.enqueue([UInt8(truncatingIfNeeded: i)], for: 1) }
        queues.enqueue([9], for: 2)
        #expect(queues.dropped == 44)
        let taken = queues.take(for: 1)
        #expect(taken.count == 256 && taken.first == [44] && taken.last == [UInt8(truncatingIfNeeded: 299)])
        #expect(queues.take(for: 1).isEmpty && queues.take(for: 2) == [[9]])
        #expect(queues.byteCount == 0 && queues.count == 0)
    }

    @Test("past the byte cap the oldest message of any circuit goes first")
    func totalBytes() {
        var queues = CircuitQueues<Int>()
        let size = 64 * 1024
        let fit = CircuitQueues<Int>.maxBytes / size
        for i in 0..<fit { queues.enqueue([UInt8](repeating: UInt8(i % 2), count: size), for: i % 100) }
        #expect(queues.dropped == 0 && queues.byteCount == fit * size)
        queues.enqueue([UInt8](repeating: 7, count: size), for: 1000)
        #expect(queues.dropped == 1 && queues.byteCount <= CircuitQueues<Int>.maxBytes)
        // Circuit 0's first message was the oldest of all.
        #expect(queues.take(for: 0).count == fit / 100 + (fit % 100 > 0 ? 1 : 0) - 1)
    }

    @Test("a circuit that is drained over and over leaves no trace behind one that waits")
    func noGrowth() {
        var queues = CircuitQueues<Int>()
        queues.enqueue([1], for: 1)   // waits for good
        for _ in 0..<100_000 {
            queues.enqueue([2, 2], for: 2)
            _ = queues.take(for: 2)
        }
        #expect(queues.count == 1 && queues.byteCount == 1)
        #expect(queues.arrivalsCount <= 2 * 1 + 65)
    }
}
