import Testing
import WarrenWire

/// Received segments joined into super-packets, checked by cutting them apart again with the
/// segmenter (what the kernel would do if it forwarded them).
@Suite("TCP receive coalescing")
struct TCPCoalescerTests {
    static let slotBytes = 70_000

    /// A TCP/IPv4 segment of flow `port` with `payload` bytes at sequence `seq`.
    func segment(seq: UInt32, payload: Int, flags: UInt8 = 0x10, port: UInt16 = 5000, v6: Bool = false,
                 fill: UInt8 = 0) -> [UInt8] {
        var p: [UInt8]
        if v6 {
            p = [0x60, 0, 0, 0, UInt8((20 + payload) >> 8), UInt8((20 + payload) & 0xff), 6, 64] + [UInt8](repeating: 0, count: 32)
            p[23] = 1; p[24] = 0xfd; p[39] = 2
        } else {
            let total = 40 + payload
            p = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2]
        }
        p += [UInt8(port >> 8), UInt8(port & 0xff), 0x17, 0x70]
        p += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xff), UInt8(seq >> 8 & 0xff), UInt8(seq & 0xff)]
        p += [0, 0, 0, 1, 0x50, flags, 0x10, 0x00, 0, 0, 0, 0]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: Int(fill) &+ $0) }
        return p
    }

    /// Feeds packets through a coalescer; returns what would be written: (bytes, header).
    func run(_ packets: [[UInt8]]) -> [([UInt8], VirtioNetHeader)] {
        var coalescer = TCPCoalescer(capacity: 64)
        let slots = packets.map { p -> UnsafeMutableRawBufferPointer in
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotBytes, alignment: 16)
            p.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: b[16..<16 + p.count]).copyMemory(from: $0) }
            return b
        }
        defer { slots.forEach { $0.deallocate() } }
        for (i, p) in packets.enumerated() { coalescer.add(buffer: slots[i], offset: 16, length: p.count) }
        var out: [([UInt8], VirtioNetHeader)] = []
        coalescer.drain { buffer, offset, length, header in out.append((Array(buffer[offset..<offset + length]), header)) }
        #expect(coalescer.count == 0)
        return out
    }

    func resegment(_ packet: [UInt8], _ header: VirtioNetHeader) -> [[UInt8]] {
        var outputs = [[UInt8]](repeating: [UInt8](repeating: 0, count: 2000), count: 64)
        var lengths = [Int](repeating: 0, count: 64)
        let n = packet.withUnsafeBytes { raw in
            try! TCPSegmenter.segment(raw, header: header, maxSegments: 64, offset: 0, output: { i in outputs[i].withUnsafeMutableBytes { $0 } },
                                      setLength: { lengths[$0] = $1 }).get()
        }
        return (0..<n).map { Array(outputs[$0].prefix(lengths[$0])) }
    }

    @Test("consecutive full segments of one flow become one super-packet that splits back exactly")
    func joins() {
        let mss = 1000
        var input = (0..<5).map { segment(seq: UInt32(100 + $0 * mss), payload: mss, fill: UInt8($0)) }
        input.append(segment(seq: UInt32(100 + 5 * mss), payload: 300, flags: 0x18, fill: 5))
        let out = run(input)
        #expect(out.count == 1)
        let (packet, header) = out[0]
        #expect(packet.count == 40 + 5 * mss + 300)
        #expect(header.segmentation == .tcpv4 && header.segmentSize == UInt16(mss))
        #expect(header.flags == VirtioNetHeader.needsChecksum && header.checksumStart == 20 && header.checksumOffset == 16)
        packet.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[0..<20]))) }
        // The kernel's view: splitting it again yields the original segments.
        var again = resegment(packet, header)
        for i in again.indices {
            // IP ID and checksums are regenerated on the way; compare what TCP sees.
            #expect(Array(again[i][20...]).count == Array(input[i][20...]).count)
            again[i].replaceSubrange(36..<38, with: input[i][36..<38])
            #expect(Array(again[i][24...]) == Array(input[i][24...]), "segment \(i)")
        }
    }

    @Test("IPv6 segments are joined too")
    func ipv6() {
        let out = run((0..<3).map { segment(seq: UInt32($0 * 1200), payload: 1200, v6: true) })
        #expect(out.count == 1)
        #expect(out[0].1.segmentation == .tcpv6 && out[0].0.count == 60 + 3600)
        #expect(Int(out[0].0[4]) << 8 | Int(out[0].0[5]) == 20 + 3600)
    }

    @Test("interleaved flows are joined separately and keep their first-arrival order")
    func flows() {
        let a = (0..<3).map { segment(seq: UInt32($0 * 500), payload: 500, port: 1) }
        let b = (0..<3).map { segment(seq: UInt32($0 * 500), payload: 500, port: 2) }
        let out = run([a[0], b[0], a[1], b[1], a[2], b[2]])
        #expect(out.count == 2)
        #expect(out.map { $0.0[21] } == [1, 2])
        #expect(out.allSatisfy { $0.0.count == 40 + 1500 })
    }

    @Test("a gap, a different size, a FIN or a non-TCP packet are not joined")
    func refusals() {
        let gap = run([segment(seq: 0, payload: 500), segment(seq: 600, payload: 500)])
        #expect(gap.count == 2 && gap.allSatisfy { $0.1.segmentation == .none })
        let bigger = run([segment(seq: 0, payload: 500), segment(seq: 500, payload: 600)])
        #expect(bigger.count == 2)
        let fin = run([segment(seq: 0, payload: 500), segment(seq: 500, payload: 500, flags: 0x11), segment(seq: 1000, payload: 500)])
        #expect(fin.count == 3)
        var udp = segment(seq: 0, payload: 100)
        udp[9] = 17
        #expect(run([udp, udp]).count == 2)
        let ackOnly = run([segment(seq: 0, payload: 0), segment(seq: 0, payload: 0)])
        #expect(ackOnly.count == 2)
    }

    @Test("lone packets are written unchanged and marked checksum-valid")
    func lone() {
        let p = segment(seq: 7, payload: 10, flags: 0x18)
        let out = run([p])
        #expect(out.count == 1 && out[0].0 == p)
        #expect(out[0].1 == VirtioNetHeader(flags: VirtioNetHeader.dataValid))
    }

    @Test("a run stops before exceeding 64 KB")
    func sizeLimit() {
        let out = run((0..<60).map { segment(seq: UInt32($0 * 1400), payload: 1400) })
        #expect(out.count == 2)
        #expect(out.allSatisfy { $0.0.count <= 65535 })
        #expect(out.map { $0.0.count - 40 }.reduce(0, +) == 60 * 1400)
    }
}
