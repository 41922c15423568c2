// VirtioNetHeader(_:) and TCPSegmenter.segment: what a TUN read with offloads returns (a
// virtio header, then a packet or a TSO super-packet), cut into MSS-sized segments in the
// daemon's send slots. The input is the bytes of one read.
//
// Invariants, when segmentation succeeds:
// - every segment fits its slot (AddressSanitizer checks the writes; the slots are exactly
//   the daemon's size);
// - without segmentation, the packet is copied unchanged apart from the checksum field the
//   header points at;
// - with segmentation: each segment's IP length matches its length, its IPv4 header checksum
//   and its TCP checksum verify, its headers equal the original's apart from the fields a
//   segmenter rewrites, its sequence number continues the previous one, and the payloads
//   joined again are the original payload.
import FuzzSupport
import WarrenWire

/// TunnelThreads' send slots: payloadOffset + MTU (the default 1420) + tag.
let offset = 16
let slotBytes = offset + 1420 + 16
let capacity = 64

nonisolated(unsafe) let slots = (0..<capacity).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: slotBytes, alignment: 16) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    func read(_ header: VirtioNetHeader, v6: Bool, payload: Int) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: VirtioNetHeader.byteCount)
        raw.withUnsafeMutableBytes { header.write(into: $0) }
        var p: [UInt8]
        if v6 {
            p = [0x60, 0, 0, 0, UInt8((20 + payload) >> 8), UInt8((20 + payload) & 0xff), 6, 64] + [UInt8](repeating: 0, count: 32)
            p[23] = 1; p[24] = 0xfd; p[39] = 2
        } else {
            let total = 40 + payload
            p = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2]
        }
        p += [0x13, 0x88, 0x17, 0x70, 0, 0, 0x10, 0, 0, 0, 0, 1, 0x50, 0x18, 0x10, 0x00, 0, 0, 0, 0]
        return raw + p + (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
    }
    Fuzz.writeSeedsIfRequested([
        ("tso-v4", read(VirtioNetHeader(flags: 1, segmentation: .tcpv4, headerLength: 40, segmentSize: 100, checksumStart: 20,
                                        checksumOffset: 16), v6: false, payload: 250)),
        ("tso-v6", read(VirtioNetHeader(flags: 1, segmentation: .tcpv6, headerLength: 60, segmentSize: 64, checksumStart: 40,
                                        checksumOffset: 16), v6: true, payload: 130)),
        ("partial-checksum", read(VirtioNetHeader(flags: 1, checksumStart: 20, checksumOffset: 16), v6: false, payload: 33)),
        ("plain", read(VirtioNetHeader(), v6: false, payload: 10)),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let header = bytes.withUnsafeBytes({ VirtioNetHeader($0) }) else { return 0 }
    var written = [UInt8](repeating: 0, count: VirtioNetHeader.byteCount)
    written.withUnsafeMutableBytes { header.write(into: $0) }
    Fuzz.check(written[0] == bytes[0] && written[1] == bytes[1] & 0x7f && written[2...] == bytes[2..<10],
               "virtio header does not re-encode")

    let packet = Array(bytes[VirtioNetHeader.byteCount...])
    var lengths = [Int](repeating: -1, count: capacity)
    let result = packet.withUnsafeBytes {
        TCPSegmenter.segment($0, header: header, maxSegments: capacity, offset: offset,
                             output: { slots[$0] }, setLength: { lengths[$0] = $1 })
    }
    guard case .success(let count) = result else { return 0 }
    Fuzz.check((1...capacity).contains(count), "\(count) segments")
    for k in 0..<count {
        Fuzz.check(lengths[k] > 0 && offset + lengths[k] <= slotBytes, "segment \(k) is \(lengths[k]) bytes")
    }
    let segments = (0..<count).map { Array(slots[$0][offset..<offset + lengths[$0]]) }

    guard header.segmentation != .none else {
        Fuzz.check(count == 1 && segments[0].count == packet.count, "an unsegmented packet came out as \(count) segments")
        var expected = packet
        if header.flags & VirtioNetHeader.needsChecksum != 0 {
            let field = Int(header.checksumStart) + Int(header.checksumOffset)
            expected[field] = segments[0][field]
            expected[field + 1] = segments[0][field + 1]
        }
        Fuzz.check(segments[0] == expected, "an unsegmented packet was changed beyond its checksum")
        return 0
    }

    let isV4 = header.segmentation == .tcpv4
    let ip = isV4 ? Int(packet[0] & 0x0f) * 4 : IPPacket.ipv6HeaderBytes
    let tcp = Int(header.checksumStart)
    let headers = tcp + Int(packet[tcp + 12] >> 4) * 4
    let mss = Int(header.segmentSize)
    let firstSequence = UInt32(bigEndian: packet.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: tcp + 4, as: UInt32.self) })
    // Fields a segmenter rewrites: IP length, IPv4 ID and checksum; TCP sequence, flags, checksum.
    let ipFields: [Int] = isV4 ? [2, 3, 4, 5, 10, 11] : [4, 5]
    let tcpFields: [Int] = [4, 5, 6, 7, 13, 16, 17].map { tcp + $0 }
    let rewritten = Set(ipFields + tcpFields)
    var joined: [UInt8] = []
    for (k, s) in segments.enumerated() {
        Fuzz.check(s.count >= headers && s.count - headers <= mss, "segment \(k) of \(s.count) bytes for MSS \(mss)")
        Fuzz.check((0..<headers).allSatisfy { rewritten.contains($0) || s[$0] == packet[$0] }, "segment \(k) headers differ")
        if isV4 {
            Fuzz.check(Int(s[2]) << 8 | Int(s[3]) == s.count, "segment \(k) IPv4 total length is wrong")
            Fuzz.check(s.withUnsafeBytes { InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[0..<ip])) },
                       "segment \(k) IPv4 header checksum does not verify")
        } else {
            Fuzz.check(Int(s[4]) << 8 | Int(s[5]) == s.count - 40, "segment \(k) IPv6 payload length is wrong")
        }
        let verifies = s.withUnsafeBytes { raw in
            InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: raw[tcp...]),
                                      pseudoHeaderSum: InternetChecksum.pseudoHeaderSum(raw, protocol: 6, length: s.count - tcp))
        }
        Fuzz.check(verifies, "segment \(k) TCP checksum does not verify")
        let sequence = UInt32(bigEndian: s.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: tcp + 4, as: UInt32.self) })
        Fuzz.check(sequence == firstSequence &+ UInt32(truncatingIfNeeded: joined.count), "segment \(k) sequence number")
        joined += s[headers...]
    }
    Fuzz.check(joined[...] == packet[headers...], "segments do not join to the original payload")
    return 0
}
