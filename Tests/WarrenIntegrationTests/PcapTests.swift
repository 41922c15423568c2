import Testing

/// The lab's pcap reader, on a hand-made capture: no root or network needed.
@Suite("reading UDP payloads out of a tcpdump capture")
struct PcapTests {
    /// One little-endian pcap record: Ethernet, IPv4 192.168.77.1 → .2, UDP to 51820 with
    /// length 8 + 4, then `trailing` bytes past the UDP length (as in a GSO super-packet).
    func capture(trailing: [UInt8] = []) -> [UInt8] {
        let payload: [UInt8] = [0x04, 0x00, 0x00, 0x00]
        var frame: [UInt8] = Array(repeating: 0xaa, count: 12) + [0x08, 0x00]
        frame += [0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 168, 77, 1, 192, 168, 77, 2]
        frame += [0xca, 0x6c, 0xca, 0x6c, 0, 12, 0, 0] + payload + trailing
        let length = UInt32(frame.count)
        let lengthBytes = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        let header: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + Array(repeating: 0, count: 8)
            + [0, 0, 4, 0] + [1, 0, 0, 0]
        return header + Array(repeating: 0, count: 8) + lengthBytes + lengthBytes + frame
    }

    @Test("a captured datagram yields its addresses, port and payload")
    func readsOneDatagram() throws {
        let datagrams = try Pcap.udpDatagrams(in: capture())
        #expect(datagrams == [Pcap.Datagram(source: [192, 168, 77, 1], destination: [192, 168, 77, 2],
                                            destinationPort: 51820, payload: [4, 0, 0, 0])])
    }

    @Test("the payload ends at the UDP length, not at the end of the frame")
    func cutsAtUDPLength() throws {
        let datagrams = try Pcap.udpDatagrams(in: capture(trailing: [9, 9, 9]))
        #expect(datagrams.first?.payload == [4, 0, 0, 0])
    }

    @Test("a file that is not a pcap capture is refused")
    func refusesOtherFiles() {
        #expect(throws: LabError.self) { try Pcap.udpDatagrams(in: Array(repeating: 0, count: 40)) }
    }
}
