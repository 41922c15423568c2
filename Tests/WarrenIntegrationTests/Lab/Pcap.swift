/// Reads the UDP payloads out of a classic pcap file as tcpdump writes it (`-w`) on an
/// Ethernet interface: just enough to pick a captured Warren datagram and send it again.
///
/// ```
/// file:   magic(4) version(4) thiszone(4) sigfigs(4) snaplen(4) linktype(4)
/// record: ts_sec(4) ts_usec(4) incl_len(4) orig_len(4), then incl_len bytes of frame
/// frame:  Ethernet(14) | IPv4 (IHL×4, protocol 17) | UDP(8: ports, length, checksum) | payload
/// ```
/// The byte order of the headers is the writer's, told by the magic number. The payload is
/// cut at the UDP length field rather than the frame's end, so a GSO super-packet (several
/// datagrams in one frame on a veth) yields its first datagram exactly.
enum Pcap {
    struct Datagram: Equatable {
        var source: [UInt8]
        var destination: [UInt8]
        var destinationPort: UInt16
        var payload: [UInt8]
    }

    static let ethernetHeaderBytes = 14
    static let etherTypeIPv4: UInt16 = 0x0800
    static let linkTypeEthernet: UInt32 = 1
    static let udpHeaderBytes = 8

    static func udpDatagrams(in file: [UInt8]) throws -> [Datagram] {
        guard file.count >= 24 else { throw LabError("pcap file too short (\(file.count) bytes)") }
        let littleEndian: Bool
        switch Array(file[0..<4]) {
        case [0xd4, 0xc3, 0xb2, 0xa1], [0x4d, 0x3c, 0xb2, 0xa1]: littleEndian = true
        case [0xa1, 0xb2, 0xc3, 0xd4], [0xa1, 0xb2, 0x3c, 0x4d]: littleEndian = false
        default: throw LabError("not a pcap file (magic \(file[0..<4].map { String($0, radix: 16) }))")
        }
        func u32(_ at: Int) -> UInt32 {
            let b = file[at..<at + 4].map(UInt32.init)
            return littleEndian ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24
        }
        guard u32(20) == linkTypeEthernet else { throw LabError("pcap link type \(u32(20)) is not Ethernet") }

        var datagrams: [Datagram] = []
        var offset = 24
        while offset + 16 <= file.count {
            let length = Int(u32(offset + 8))
            let start = offset + 16
            guard start + length <= file.count else { throw LabError("pcap record at \(offset) runs past the end") }
            if let datagram = udp(in: Array(file[start..<start + length])) { datagrams.append(datagram) }
            offset = start + length
        }
        return datagrams
    }

    /// The UDP datagram in one Ethernet frame, or nil for anything else.
    static func udp(in frame: [UInt8]) -> Datagram? {
        func u16(_ at: Int) -> UInt16 { UInt16(frame[at]) << 8 | UInt16(frame[at + 1]) }
        guard frame.count >= ethernetHeaderBytes + 20, u16(12) == etherTypeIPv4 else { return nil }
        let ip = ethernetHeaderBytes
        let headerBytes = Int(frame[ip] & 0x0f) * 4
        guard frame[ip] >> 4 == 4, headerBytes >= 20, frame[ip + 9] == 17 else { return nil }
        let udp = ip + headerBytes
        guard frame.count >= udp + udpHeaderBytes else { return nil }
        let udpLength = Int(u16(udp + 4))
        guard udpLength >= udpHeaderBytes, frame.count >= udp + udpLength else { return nil }
        return Datagram(source: Array(frame[ip + 12..<ip + 16]), destination: Array(frame[ip + 16..<ip + 20]),
                        destinationPort: u16(udp + 2), payload: Array(frame[udp + udpHeaderBytes..<udp + udpLength]))
    }
}
