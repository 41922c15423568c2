/// Turns what a TUN device with offloads returns into packets that fit the tunnel: a TSO
/// super-packet is cut into MSS-sized TCP segments with their own IP and TCP headers and
/// checksums (what a NIC would do in hardware), and a packet with a partial checksum gets it
/// finished. Pure buffer work: the caller supplies where each segment goes.
public enum TCPSegmenter {
    static let tcpProtocol: UInt8 = 6
    static let finFlag: UInt8 = 0x01
    static let pshFlag: UInt8 = 0x08
    static let cwrFlag: UInt8 = 0x80

    public enum Failure: Error, Equatable, Sendable {
        case malformed
        case tooManySegments
    }

    /// Writes the segments of `packet` (the bytes after the virtio header) into
    /// `output(i)[offset...]` for i = 0, 1, …, at most `maxSegments`, recording each
    /// segment's length through `setLength(i, length)`. Returns the number of segments.
    @inline(__always)
    public static func segment(_ packet: UnsafeRawBufferPointer, header: VirtioNetHeader, maxSegments: Int, offset: Int,
                               output: (Int) -> UnsafeMutableRawBufferPointer,
                               setLength: (Int, Int) -> Void) -> Result<Int, Failure> {
        guard packet.count > 0 else { return .failure(.malformed) }
        guard header.segmentation != .none else {
            let out = output(0)
            guard offset + packet.count <= out.count else { return .failure(.malformed) }
            let target = UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + packet.count])
            target.copyMemory(from: packet)
            if header.flags & VirtioNetHeader.needsChecksum != 0 {
                guard finishChecksum(target, start: Int(header.checksumStart), offset: Int(header.checksumOffset)) else {
                    return .failure(.malformed)
                }
            }
            setLength(0, packet.count)
            return .success(1)
        }
        return splitTCP(packet, header: header, maxSegments: maxSegments, offset: offset, output: output, setLength: setLength)
    }

    /// CHECKSUM_PARTIAL completion: the field already holds the pseudo-header sum, so the sum
    /// from `start` to the end, complemented, is the checksum.
    @inline(__always)
    static func finishChecksum(_ p: UnsafeMutableRawBufferPointer, start: Int, offset: Int) -> Bool {
        guard start < p.count, start + offset + 2 <= p.count else { return false }
        let sum = InternetChecksum.add(UnsafeRawBufferPointer(rebasing: p[start...]))
        p.storeBytes(of: InternetChecksum.finish(sum), toByteOffset: start + offset, as: UInt16.self)
        return true
    }

    @inline(__always)
    static func splitTCP(_ packet: UnsafeRawBufferPointer, header: VirtioNetHeader, maxSegments: Int, offset: Int,
                         output: (Int) -> UnsafeMutableRawBufferPointer,
                         setLength: (Int, Int) -> Void) -> Result<Int, Failure> {
        let isV4 = packet[0] >> 4 == 4
        guard isV4 == (header.segmentation == .tcpv4) else { return .failure(.malformed) }
        let ipHeaderLength = isV4 ? Int(packet[0] & 0x0f) * 4 : IPPacket.ipv6HeaderBytes
        let tcpStart = Int(header.checksumStart)
        guard ipHeaderLength >= 20, tcpStart >= ipHeaderLength, tcpStart + 20 <= packet.count else { return .failure(.malformed) }
        if isV4 { guard packet[9] == tcpProtocol else { return .failure(.malformed) } }
        let tcpHeaderLength = Int(packet[tcpStart + 12] >> 4) * 4
        let headersLength = tcpStart + tcpHeaderLength
        let mss = Int(header.segmentSize)
        guard tcpHeaderLength >= 20, headersLength <= packet.count, mss > 0 else { return .failure(.malformed) }
        let payloadLength = packet.count - headersLength
        let count = max(1, (payloadLength + mss - 1) / mss)
        guard count <= maxSegments else { return .failure(.tooManySegments) }

        let firstSequence = UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: tcpStart + 4, as: UInt32.self))
        let flags = packet[tcpStart + 13]
        let firstID = isV4 ? UInt16(bigEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt16.self)) : 0
        for k in 0..<count {
            let chunkStart = headersLength + k * mss
            let chunkLength = min(mss, payloadLength - k * mss)
            let segmentLength = headersLength + chunkLength
            let out = output(k)
            guard offset + segmentLength <= out.count else { return .failure(.malformed) }
            let seg = UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + segmentLength])
            seg.copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[0..<headersLength]))
            UnsafeMutableRawBufferPointer(rebasing: seg[headersLength...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[chunkStart..<chunkStart + chunkLength]))

            if isV4 {
                seg.storeBytes(of: UInt16(segmentLength).bigEndian, toByteOffset: 2, as: UInt16.self)
                seg.storeBytes(of: (firstID &+ UInt16(truncatingIfNeeded: k)).bigEndian, toByteOffset: 4, as: UInt16.self)
                seg.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
                let ipSum = InternetChecksum.add(UnsafeRawBufferPointer(rebasing: seg[0..<ipHeaderLength]))
                seg.storeBytes(of: InternetChecksum.finish(ipSum), toByteOffset: 10, as: UInt16.self)
            } else {
                seg.storeBytes(of: UInt16(segmentLength - IPPacket.ipv6HeaderBytes).bigEndian, toByteOffset: 4, as: UInt16.self)
            }
            seg.storeBytes(of: (firstSequence &+ UInt32(truncatingIfNeeded: k * mss)).bigEndian,
                           toByteOffset: tcpStart + 4, as: UInt32.self)
            var segmentFlags = flags
            if k < count - 1 { segmentFlags &= ~(finFlag | pshFlag) }
            if k > 0 { segmentFlags &= ~cwrFlag }
            seg[tcpStart + 13] = segmentFlags
            seg.storeBytes(of: 0, toByteOffset: tcpStart + 16, as: UInt16.self)
            let tcpLength = segmentLength - tcpStart
            var sum = InternetChecksum.pseudoHeaderSum(UnsafeRawBufferPointer(seg), protocol: tcpProtocol, length: tcpLength)
            sum = InternetChecksum.add(UnsafeRawBufferPointer(rebasing: seg[tcpStart...]), to: sum)
            seg.storeBytes(of: InternetChecksum.finish(sum), toByteOffset: tcpStart + 16, as: UInt16.self)
            setLength(k, segmentLength)
        }
        return .success(count)
    }
}
