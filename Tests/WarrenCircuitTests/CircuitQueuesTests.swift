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

@Suite("Circuit padding")
struct CircuitPaddingTests {
    static func packet(_ count: Int) -> [UInt8] {
        [0x45, 0, UInt8(count >> 8), UInt8(count & 0xff)] + Array(repeating: 7, count: count - 4)
    }

    @Test("buckets pad to the next 128 bytes, fixed to the MTU, none not at all; the far end cuts at the IP length",
          arguments: [20, 127, 128, 129, 1300, 1360])
    func sizes(length: Int) throws {
        for mode in CircuitPadding.allCases {
            var padded = Self.packet(length)
            mode.pad(&padded, mtu: 1360)
            let expected = switch mode {
            case .buckets: min((length + 127) / 128 * 128, 1360)
            case .fixed: 1360
            case .none: length
            }
            #expect(padded.count == expected, "\(mode)")
            #expect(CircuitPadding.unpadded(padded) == Self.packet(length))
        }
    }

    @Test("what is no IP packet, or claims more than it has, is refused")
    func refused() {
        #expect(CircuitPadding.unpadded([]) == nil && CircuitPadding.unpadded([0x45, 0, 0]) == nil)
        #expect(CircuitPadding.unpadded([0x45, 0, 0, 40] + Array(repeating: 0, count: 20)) == nil)
        #expect(CircuitPadding.unpadded([0x10] + Array(repeating: 0, count: 40)) == nil)
        let v6: [UInt8] = [0x60, 0, 0, 0, 0, 2, 17, 64] + Array(repeating: 0, count: 32) + [1, 2] + Array(repeating: 0, count: 86)
        #expect(CircuitPadding.unpadded(v6)?.count == 42)
    }
}
