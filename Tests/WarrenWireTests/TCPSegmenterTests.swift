import Testing
import WarrenWire

/// Super-packets as a TUN device with TSO hands them over, cut the way a NIC would.
@Suite("TCP segmentation offload")
struct TCPSegmenterTests {
    /// An IPv4 (or IPv6) + TCP packet with `payload` bytes of data and the given TCP flags.
    func superPacket(v6: Bool = false, payload: Int, flags: UInt8 = 0x18 | 0x01 | 0x80) -> [UInt8] {
        var p: [UInt8]
        if v6 {
            p = [0x60, 0, 0, 0, 0, 0, 6, 64] + [UInt8](repeating: 0, count: 32)
            p[8 + 15] = 1          // src ::1 … style addresses
            p[24] = 0xfd; p[24 + 15] = 2
            let len = 20 + payload
            p[4] = UInt8(len >> 8); p[5] = UInt8(len & 0xff)
        } else {
            let total = 20 + 20 + payload
            p = [0x45, 0, UInt8(total >> 8 & 0xff), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2]
        }
        // TCP: ports 5000 → 6000, seq 0xfffffff0 (wraps), ack 1, data offset 5, flags, window.
        p += [0x13, 0x88, 0x17, 0x70, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: $0 * 7) }
        return p
    }

    func split(_ packet: [UInt8], _ header: VirtioNetHeader, max: Int = 64) -> Result<[[UInt8]], TCPSegmenter.Failure> {
        var outputs = [[UInt8]](repeating: [UInt8](repeating: 0, count: 2000), count: max)
        var lengths = [Int](repeating: 0, count: max)
        let result = packet.withUnsafeBytes { raw in
            TCPSegmenter.segment(raw, header: header, maxSegments: max, offset: 16, output: { i in
                outputs[i].withUnsafeMutableBytes { $0 }
            }, setLength: { lengths[$0] = $1 })
        }
        return result.map { n in (0..<n).map { Array(outputs[$0][16..<16 + lengths[$0]]) } }
    }

    func tcpChecksumVerifies(_ segment: [UInt8], tcpStart: Int) -> Bool {
        segment.withUnsafeBytes { raw in
            let pseudo = InternetChecksum.pseudoHeaderSum(raw, protocol: 6, length: raw.count - tcpStart)
            return InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: raw[tcpStart...]), pseudoHeaderSum: pseudo)
        }
    }

    @Test("an IPv4 super-packet becomes MSS-sized segments with correct headers and checksums")
    func ipv4() throws {
        let packet = superPacket(payload: 3500)
        let header = VirtioNetHeader(flags: 1, segmentation: .tcpv4, headerLength: 40, segmentSize: 1000, checksumStart: 20, checksumOffset: 16)
        let segments = try split(packet, header).get()
        #expect(segments.map(\.count) == [1040, 1040, 1040, 540])
        var payload: [UInt8] = []
        for (k, s) in segments.enumerated() {
            #expect(Int(s[2]) << 8 | Int(s[3]) == s.count)
            #expect(Int(s[4]) << 8 | Int(s[5]) == 0x1234 + k)
            s.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[0..<20]))) }
            #expect(tcpChecksumVerifies(s, tcpStart: 20))
            let seq = UInt32(s[24]) << 24 | UInt32(s[25]) << 16 | UInt32(s[26]) << 8 | UInt32(s[27])
            #expect(seq == 0xffff_fff0 &+ UInt32(k * 1000))
            let flags = s[33]
            #expect((flags & 0x01 != 0) == (k == 3), "FIN only on the last segment")
            #expect((flags & 0x08 != 0) == (k == 3), "PSH only on the last segment")
            #expect((flags & 0x80 != 0) == (k == 0), "CWR only on the first segment")
            payload += s[40...]
        }
        #expect(payload == Array(packet[40...]))
    }

    @Test("an IPv6 super-packet is cut with payload lengths and checksums right")
    func ipv6() throws {
        let packet = superPacket(v6: true, payload: 2500)
        let header = VirtioNetHeader(flags: 1, segmentation: .tcpv6, headerLength: 60, segmentSize: 1200, checksumStart: 40, checksumOffset: 16)
        let segments = try split(packet, header).get()
        #expect(segments.map(\.count) == [1260, 1260, 160])
        for s in segments {
            #expect(Int(s[4]) << 8 | Int(s[5]) == s.count - 40)
            #expect(tcpChecksumVerifies(s, tcpStart: 40))
        }
    }

    @Test("a packet with a partial checksum gets it finished")
    func partialChecksum() throws {
        var packet = superPacket(payload: 301, flags: 0x18)
        // Put the pseudo-header sum in the field, as the kernel does for CHECKSUM_PARTIAL.
        let pseudo = packet.withUnsafeBytes { InternetChecksum.pseudoHeaderSum($0, protocol: 6, length: $0.count - 20) }
        var folded = pseudo
        while folded >> 16 != 0 { folded = (folded & 0xffff) + (folded >> 16) }
        packet.withUnsafeMutableBytes { $0.storeBytes(of: UInt16(folded), toByteOffset: 36, as: UInt16.self) }
        let header = VirtioNetHeader(flags: 1, segmentation: .none, checksumStart: 20, checksumOffset: 16)
        let segments = try split(packet, header).get()
        #expect(segments.count == 1)
        #expect(tcpChecksumVerifies(segments[0], tcpStart: 20))
    }

    @Test("a plain packet is copied unchanged")
    func plain() throws {
        let packet = superPacket(payload: 10, flags: 0x10)
        #expect(try split(packet, VirtioNetHeader()).get() == [packet])
    }

    @Test("malformed super-packets are refused, not trapped on")
    func malformed() {
        let good = superPacket(payload: 3000)
        let header = VirtioNetHeader(flags: 1, segmentation: .tcpv4, segmentSize: 1000, checksumStart: 20, checksumOffset: 16)
        #expect(throws: TCPSegmenter.Failure.tooManySegments) { try split(good, header, max: 2).get() }
        var zeroMSS = header
        zeroMSS.segmentSize = 0
        #expect(throws: TCPSegmenter.Failure.malformed) { try split(good, zeroMSS).get() }
        var wrongFamily = header
        wrongFamily.segmentation = .tcpv6
        #expect(throws: TCPSegmenter.Failure.malformed) { try split(good, wrongFamily).get() }
        var badStart = header
        badStart.checksumStart = 5000
        #expect(throws: TCPSegmenter.Failure.malformed) { try split(good, badStart).get() }
        for n in [1, 19, 30] {
            #expect(throws: TCPSegmenter.Failure.self) { try split(Array(good.prefix(n)), header).get() }
        }
        var partial = VirtioNetHeader(flags: 1, checksumStart: 60000, checksumOffset: 16)
        #expect(throws: TCPSegmenter.Failure.malformed) { try split(good, partial).get() }
        partial.checksumStart = 20
        partial.checksumOffset = 60000
        #expect(throws: TCPSegmenter.Failure.malformed) { try split(good, partial).get() }
    }

    @Test("virtio headers round-trip; unknown segmentation types are refused")
    func header() {
        let h = VirtioNetHeader(flags: 1, segmentation: .tcpv6, headerLength: 60, segmentSize: 1380, checksumStart: 40, checksumOffset: 16)
        var raw = [UInt8](repeating: 0, count: 10)
        raw.withUnsafeMutableBytes { h.write(into: $0) }
        #expect(raw.withUnsafeBytes { VirtioNetHeader($0) } == h)
        raw[1] = 0x81   // TCPv4 with the ECN bit
        #expect(raw.withUnsafeBytes { VirtioNetHeader($0) }?.segmentation == .tcpv4)
        raw[1] = 5      // UDP segmentation: not enabled, so never expected
        #expect(raw.withUnsafeBytes { VirtioNetHeader($0) } == nil)
        #expect(Array(raw.prefix(9)).withUnsafeBytes { VirtioNetHeader($0) } == nil)
    }

    @Test("the checksum matches RFC 1071's worked example")
    func rfc1071() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (one's complement 0x220d).
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        let stored = bytes.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.add($0)) }
        let bigEndian = withUnsafeBytes(of: stored) { UInt16($0[0]) << 8 | UInt16($0[1]) }
        #expect(bigEndian == 0x220d)
        let odd: [UInt8] = [0x01, 0x02, 0x03]
        let oddStored = odd.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.add($0)) }
        #expect(withUnsafeBytes(of: oddStored) { UInt16($0[0]) << 8 | UInt16($0[1]) } == ~UInt16(0x0402))
    }
}
