import Testing
import WarrenSession
import WarrenWire
@testable import WarrenDaemon

@Suite("Control queue")
struct ControlQueueTests {
    let stranger = Path.direct(Endpoint("198.51.100.7:51820")!)

    @Test("a flood of handshakes fills only its own lane, bounded by bytes; this host's packets still get through, first")
    func lanes() throws {
        let drops = DropCounters()
        let queue = try ControlQueue(drops: drops)
        let handshake = [UInt8](repeating: 1, count: 1400)
        for _ in 0..<2000 { queue.post(.handshake(handshake, from: stranger)) }
        let fit = ControlQueue.unauthenticatedBytes / (1400 + 64)
        #expect(drops[.queueFull] == UInt64(2000 - fit))
        queue.post(.unroutable(IPv4Address(10, 8, 0, 9), packet: [0x45]))
        let events = queue.drain()
        #expect(events.count == fit + 1)
        guard case .unroutable? = events.first else { Issue.record("the host's packet is not first: \(events.first!)"); return }
        // Drained, the lane takes handshakes again.
        queue.post(.handshake(handshake, from: stranger))
        #expect(queue.drain().count == 1 && drops[.queueFull] == UInt64(2000 - fit))
    }

    @Test("only an event that finds the queue empty asks for a wakeup; a full lane asks for none")
    func wakeups() throws {
        let drops = DropCounters()
        let queue = try ControlQueue(drops: drops)
        let handshake = [UInt8](repeating: 1, count: 100)
        #expect(queue.enqueue(.handshake(handshake, from: stranger)))
        #expect(!queue.enqueue(.handshake(handshake, from: stranger)))
        #expect(!queue.enqueue(.unroutable(IPv4Address(10, 8, 0, 9), packet: [0x45])))
        #expect(queue.drain().count == 3)
        #expect(queue.enqueue(.unroutable(IPv4Address(10, 8, 0, 9), packet: [0x45])))
        #expect(!queue.enqueue(.handshake([UInt8](repeating: 0, count: ControlQueue.unauthenticatedBytes), from: stranger)))
        #expect(drops[.queueFull] == 1)
    }
}
