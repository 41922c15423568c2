// TCPCoalescer: joins the TCP segments that DataPath delivers (decrypted packets from any
// member of the network) into GSO super-packets for the TUN device, in place, with raw
// pointers. The input is a batch of packets, each a 2-byte length and its bytes; the harness
// makes each look like what DataPath delivers (IPv4 or IPv6 whose length field matches its
// length) and puts it in its own slot of the daemon's size, so AddressSanitizer sees any
// write past a slot.
//
// Invariants, for the packets `drain` hands out:
// - each is the first packet of its slot, in arrival order; every input is accounted for once;
// - a lone packet is written unchanged, marked checksum-valid;
// - a joined packet has consistent IP lengths and IPv4 checksum and a virtio header that
//   describes it, and cutting it up again the way the kernel does (TCPSegmenter) gives back
//   exactly the payloads and sequence numbers of the segments that were joined, in order.
import FuzzSupport
import WarrenWire

/// DataPath.payloadOffset and TunnelThreads' receive slots (payloadOffset + TunDevice.maxOffloadReadBytes).
let offset = 16
let slotBytes = offset + 65_535 + 10
let capacity = 64

nonisolated(unsafe) let slots = (0..<capacity).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: slotBytes, alignment: 16) }
nonisolated(unsafe) let resegmented = (0..<capacity).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: slotBytes, alignment: 16) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    func segment(seq: UInt32, payload: Int, flags: UInt8 = 0x10, v6: Bool = false) -> [UInt8] {
        var p: [UInt8]
        if v6 {
            p = [0x60, 0, 0, 0, 0, 0, 6, 64] + [UInt8](repeating: 0, count: 32)
            p[23] = 1; p[24] = 0xfd; p[39] = 2
        } else {
            p = [0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2]
        }
        p += [0x13, 0x88, 0x17, 0x70] + withUnsafeBytes(of: seq.bigEndian) { Array($0) }
        p += [0, 0, 0, 1, 0x50, flags, 0x10, 0x00, 0, 0, 0, 0] + (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
        return [UInt8(p.count >> 8), UInt8(p.count & 0xff)] + p
    }
    Fuzz.writeSeedsIfRequested([
        ("run-v4", segment(seq: 1000, payload: 40) + segment(seq: 1040, payload: 40) + segment(seq: 1080, payload: 9, flags: 0x18)),
        ("run-v6", segment(seq: 7, payload: 32, v6: true) + segment(seq: 39, payload: 32, v6: true)),
        ("gap", segment(seq: 1000, payload: 40) + segment(seq: 1080, payload: 40) + segment(seq: 1040, payload: 40, flags: 0x11)),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = packets(Fuzz.bytes(data, size))
    var coalescer = TCPCoalescer(capacity: capacity)
    for (k, p) in input.enumerated() {
        p.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: slots[k][offset..<offset + p.count]).copyMemory(from: $0) }
        coalescer.add(buffer: slots[k], offset: offset, length: p.count)
    }
    var outputs: [(slot: Int, bytes: [UInt8], header: VirtioNetHeader)] = []
    coalescer.drain { buffer, at, length, header in
        guard let slot = slots.firstIndex(where: { $0.baseAddress == buffer.baseAddress }), slot < input.count else {
            fatalError("fuzz invariant violated: drained a buffer that holds no input packet")
        }
        Fuzz.check(at == offset && length >= 0 && at + length <= buffer.count, "drained slot \(slot) at \(at), \(length) bytes")
        outputs.append((slot, Array(buffer[at..<at + length]), header))
    }
    Fuzz.check(coalescer.count == 0, "drain left \(coalescer.count) packets")
    Fuzz.check(zip(outputs, outputs.dropFirst()).allSatisfy { $0.slot < $1.slot }, "packets out of arrival order")

    var claimed = Set(outputs.map(\.slot))
    var accounted = 0
    for out in outputs {
        let original = input[out.slot]
        guard out.header.segmentation != .none else {
            Fuzz.check(out.bytes == original, "lone packet \(out.slot) was changed")
            Fuzz.check(out.header == VirtioNetHeader(flags: VirtioNetHeader.dataValid), "lone packet header \(out.header)")
            accounted += 1
            continue
        }
        let isV4 = out.header.segmentation == .tcpv4
        let ip = isV4 ? 20 : 40
        let tcp = Int(original[ip + 12] >> 4) * 4
        Fuzz.check(isV4 == (original[0] >> 4 == 4), "segmentation \(out.header.segmentation) for IP version \(original[0] >> 4)")
        Fuzz.check(out.bytes.count <= 65_535, "joined packet of \(out.bytes.count) bytes")
        Fuzz.check(out.bytes.withUnsafeBytes { IPPacket.totalLength($0) } == out.bytes.count, "joined packet's IP length is wrong")
        if isV4 {
            Fuzz.check(out.bytes.withUnsafeBytes { InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[0..<20])) },
                       "joined packet's IPv4 header checksum does not verify")
        }
        Fuzz.check(out.header.checksumStart == UInt16(ip) && out.header.checksumOffset == 16
                   && out.header.headerLength == UInt16(ip + tcp) && out.header.segmentSize > 0,
                   "virtio header \(out.header) does not describe a \(ip)+\(tcp)-byte header")

        var lengths = [Int](repeating: 0, count: capacity)
        let result = out.bytes.withUnsafeBytes {
            TCPSegmenter.segment($0, header: out.header, maxSegments: capacity, offset: offset,
                                 output: { resegmented[$0] }, setLength: { lengths[$0] = $1 })
        }
        guard case .success(let count) = result, count >= 2 else {
            Fuzz.check(false, "joined packet of slot \(out.slot) does not cut into segments: \(result)")
            return 0
        }
        // The segments joined: this packet, then later unclaimed packets of its flow, in order.
        let flow = flowKey(original)
        let members = [out.slot] + (out.slot + 1..<input.count).filter { !claimed.contains($0) && flowKey(input[$0]) == flow }
            .prefix(count - 1)
        Fuzz.check(members.count == count, "joined packet holds \(count) segments, its flow has \(members.count)")
        claimed.formUnion(members)
        for (k, m) in members.enumerated() {
            let segment = Array(resegmented[k][offset..<offset + lengths[k]])
            Fuzz.check(payload(segment) == payload(input[m]), "segment \(k) of slot \(out.slot) is not packet \(m)'s payload")
            Fuzz.check(sequence(segment) == sequence(input[m]), "segment \(k) of slot \(out.slot) has another sequence number")
        }
        accounted += count
    }
    Fuzz.check(accounted == input.count && claimed.count == input.count,
               "\(input.count) packets in, \(accounted) accounted for, \(claimed.count) claimed")
    return 0
}

/// Splits the input into packets shaped as DataPath delivers them.
func packets(_ bytes: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while i + 2 <= bytes.count && out.count < capacity {
        let n = min(Int(bytes[i]) << 8 | Int(bytes[i + 1]), bytes.count - i - 2)
        var p = Array(bytes[i + 2..<i + 2 + n])
        i += 2 + n
        switch p.first.map({ $0 >> 4 }) {
        case 4 where n >= IPPacket.ipv4HeaderMin:
            p[2] = UInt8(n >> 8); p[3] = UInt8(n & 0xff)
        case 6 where n >= IPPacket.ipv6HeaderBytes:
            p[4] = UInt8((n - 40) >> 8); p[5] = UInt8((n - 40) & 0xff)
        default:
            continue
        }
        out.append(p)
    }
    return out
}

/// What TCPCoalescer compares to decide two packets are one flow: version, header size,
/// addresses and ports.
func flowKey(_ p: [UInt8]) -> [UInt8] {
    let v4 = p[0] >> 4 == 4
    let ip = v4 ? Int(p[0] & 0x0f) * 4 : 40
    let addresses = v4 ? p[12..<20] : p[8..<40]
    let ports = p.count >= ip + 4 ? p[ip..<ip + 4] : []
    return [p[0] >> 4, UInt8(truncatingIfNeeded: ip)] + addresses + ports
}

func payload(_ p: [UInt8]) -> ArraySlice<UInt8> {
    let ip = p[0] >> 4 == 4 ? Int(p[0] & 0x0f) * 4 : 40
    return p[(ip + Int(p[ip + 12] >> 4) * 4)...]
}

func sequence(_ p: [UInt8]) -> ArraySlice<UInt8> {
    let ip = p[0] >> 4 == 4 ? Int(p[0] & 0x0f) * 4 : 40
    return p[(ip + 4)..<(ip + 8)]
}
