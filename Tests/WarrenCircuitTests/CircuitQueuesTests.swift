import Testing
@testable import WarrenCircuit

@Suite("Circuit queues")
struct CircuitQueuesTests {
    @Test("at most 256 per key, the oldest dropped, all handed over in arrival order")
    func perKey() {
        var queues = CircuitQueues<Int>()
        queues.enqueue([1], for: 2)
        for i in 0..<300 { queues.enqueue([UInt8(truncatingIfNeeded: i)], for: 1) }
        queues.enqueue([9], for: 2)
        #expect(queues.dropped == 44 && queues.count == 258)
        let taken = queues.takeAll()
        #expect(taken.count == 258 && taken.first == [1] && taken[1] == [44] && taken.last == [9])
        #expect(taken[256] == [UInt8(truncatingIfNeeded: 299)])
        #expect(queues.takeAll().isEmpty && queues.byteCount == 0 && queues.count == 0)
    }

    @Test("past the byte cap the oldest message of any key goes first")
    func totalBytes() {
        var queues = CircuitQueues<Int>()
        let size = 64 * 1024
        let fit = CircuitQueues<Int>.maxBytes / size
        for i in 0..<fit { queues.enqueue([UInt8](repeating: UInt8(i % 251), count: size), for: i % 100) }
        #expect(queues.dropped == 0 && queues.byteCount == fit * size)
        queues.enqueue([UInt8](repeating: 7, count: size), for: 1000)
        #expect(queues.dropped == 1 && queues.byteCount <= CircuitQueues<Int>.maxBytes)
        let taken = queues.takeAll()
        #expect(taken.count == fit && taken.first?.first == 1 && taken.last?.first == 7)
    }

    @Test("a key that overflows for ever leaves no trace of what it dropped")
    func noGrowth() {
        var queues = CircuitQueues<Int>()
        queues.enqueue([1], for: 1)
        for _ in 0..<100_000 { queues.enqueue([2, 2], for: 2) }
        #expect(queues.count == 257 && queues.byteCount == 1 + 256 * 2)
        #expect(queues.arrivalsCount <= 2 * 257 + 65)
        #expect(queues.takeAll().first == [1])
    }
}
