import CAllocationCounter
import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenSession

/// The packet path must not touch the heap: a malloc per packet is a lock, a cache miss and a
/// latency spike at a million packets per second. These tests count this thread's
/// allocations around steady-state packet processing.
@Suite("Allocation-free packet path")
struct AllocationTests {
    @Test("encrypting, routing, decrypting and checking a packet allocates nothing")
    func dataPath() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        let ping = ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4, payload: [UInt8](repeating: 0xab, count: 1200))
        // Bob must be confirmed to send, and packets must flow once before measuring.
        #expect(h.send(ping, from: 1).count == 1)
        let aliceSnapshot = h.nodes[1].manager.snapshot(now: h.now.instant)
        let bobSnapshot = h.nodes[0].manager.snapshot(now: h.now.instant)
        let now = h.now.instant
        let source = h.nodes[1].endpoint
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 64)
        defer { buffer.deallocate() }

        func roundTrip() -> Bool {
            ping.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[DataPath.payloadOffset...]).copyMemory(from: $0) }
            guard case .send(let offset, let length, _, _) = DataPath.outbound(buffer, count: ping.count, snapshot: aliceSnapshot, now: now) else {
                Issue.record("not sent")
                return false
            }
            var notices = DataPath.Notices()
            let datagram = UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + length])
            guard case .deliver = DataPath.inbound(datagram, from: source, snapshot: bobSnapshot, now: now, notices: &notices) else { return false }
            return true
        }
        // A keypair's replay ring is allocated once, at its 64th packet (`ReplayWindow`).
        for _ in 0..<100 { _ = roundTrip() }
        var delivered = 0
        let before = allocation_counter_thread_count()
        for _ in 0..<1000 where roundTrip() { delivered += 1 }
        let allocations = allocation_counter_thread_count() - before
        #expect(delivered == 1000)
        #expect(allocations == 0, "\(allocations) allocations for 1000 packets")
    }

    @Test("checking a flood of handshakes, with valid mac1 or not, allocates nothing once the source is known")
    func handshakeAdmission() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        let key = HandshakeMAC.key(for: h.nodes[0].manager.handshakePublicKey)
        var initiation = HandshakeInitiation(senderIndex: 1, noise: [UInt8](repeating: 1, count: 400))
        initiation.mac1 = HandshakeMAC.mac1(initiation.bytesBeforeMAC, key: key)
        let valid = initiation.encoded
        initiation.mac1[3] ^= 0x40
        let forged = initiation.encoded
        let path = Path.direct(Endpoint("198.51.100.7:40000")!)
        func admission() -> HandshakeAdmission {
            HandshakeAdmission(ownHandshakeKey: h.nodes[0].manager.handshakePublicKey, random: SeededRandom(seed: 5))
        }
        // A round on a throwaway admission first: the runtime builds type metadata on first
        // use, which allocates, in whichever test gets there first.
        var warmUp = admission()
        for message in [valid, forged, valid, forged, valid, forged, valid] {
            _ = message.withUnsafeBytes { warmUp.check($0, from: path, now: h.now.instant, backlog: { 0 }) }
        }
        var admission = admission()
        var verdicts: [HandshakeAdmission.Verdict] = []
        verdicts.reserveCapacity(2000)
        let before = allocation_counter_thread_count()
        for _ in 0..<1000 {
            verdicts.append(valid.withUnsafeBytes { admission.check($0, from: path, now: h.now.instant, backlog: { 0 }) })
            verdicts.append(forged.withUnsafeBytes { admission.check($0, from: path, now: h.now.instant, backlog: { 0 }) })
        }
        let allocations = allocation_counter_thread_count() - before
        // The first check of a new source creates its bucket; nothing after that allocates.
        #expect(allocations <= 1, "\(allocations) allocations for 2000 handshakes")
        // The gate's 5 tokens go to the first five, alternately genuine and forged.
        #expect(verdicts.count { $0 == .admit } == 3)
        #expect(verdicts.count { $0 == .drop(.authenticationFailed) } == 2)
        #expect(verdicts.count { $0 == .drop(.rateLimited) } == 1995)
    }

    @Test("cutting a TSO super-packet into segments allocates nothing")
    func segmentation() {
        var packet = [UInt8](repeating: 0, count: 40 + 60_000)
        packet[0] = 0x45; packet[9] = 6; packet[32] = 0x50
        let header = VirtioNetHeader(flags: 1, segmentation: .tcpv4, segmentSize: 1380, checksumStart: 20, checksumOffset: 16)
        let slots = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1500, alignment: 64)
        defer { slots.deallocate() }
        var total = 0
        var before: UInt64 = 0
        packet.withUnsafeBytes { raw in
            for i in 0..<101 {
                // The first round warms up the runtime's one-time metadata.
                if i == 1 { before = allocation_counter_thread_count() }
                let result = TCPSegmenter.segment(raw, header: header, maxSegments: 64, offset: 16,
                                                  output: { UnsafeMutableRawBufferPointer(rebasing: slots[$0 * 1500..<($0 + 1) * 1500]) },
                                                  setLength: { _, n in total += n })
                if case .failure = result { total = -1 }
            }
        }
        #expect(allocation_counter_thread_count() - before == 0)
        #expect(total > 0)
    }

    @Test("the allocation counter sees an allocation")
    func counterWorks() {
        let before = allocation_counter_thread_count()
        let array = [Int](repeating: 1, count: Int.random(in: 100...200))
        #expect(allocation_counter_thread_count() - before >= 1)
        #expect(array.count >= 100)
    }
}
