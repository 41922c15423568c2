import Testing
import WarrenWire

@Suite("IP packet transport")
struct IPPacketTransportTests {
    /// An IPv4 header (20 bytes) for `proto` with the fragment field given, then `payload`.
    static func v4(proto: UInt8, fragment: UInt16 = 0, _ payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, UInt8(fragment >> 8), UInt8(fragment & 0xff), 64, proto, 0, 0,
                192, 0, 2, 1, 203, 0, 113, 9] + payload
    }

    /// An IPv6 header whose next header is `next`, then `payload` (extension headers included).
    static func v6(next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xff), next, 64]
            + IPv6Address("2001:db8::1")!.bytes + IPv6Address("2001:db8::9")!.bytes + payload
    }

    static let tcpTo25: [UInt8] = [0x30, 0x39, 0, 25] + [UInt8](repeating: 0, count: 16)

    func transport(_ packet: [UInt8]) -> IPPacket.Transport? {
        packet.withUnsafeBytes { IPPacket.transport($0) }
    }

    @Test("IPv4: the destination port of TCP and UDP, none for ICMP or a later fragment, nil when cut short")
    func ipv4() {
        #expect(transport(Self.v4(proto: 6, Self.tcpTo25)) == .init(proto: 6, destinationPort: 25))
        #expect(transport(Self.v4(proto: 17, [0, 53, 0x01, 0xbb, 0, 8, 0, 0])) == .init(proto: 17, destinationPort: 443))
        #expect(transport(Self.v4(proto: 1, [8, 0, 0, 0])) == .init(proto: 1, destinationPort: nil))
        // More fragments set, offset 0: the first fragment, ports and all.
        #expect(transport(Self.v4(proto: 6, fragment: 0x2000, Self.tcpTo25)) == .init(proto: 6, destinationPort: 25))
        #expect(transport(Self.v4(proto: 6, fragment: 0x0003, [1, 2, 3, 4])) == .init(proto: 6, destinationPort: nil))
        #expect(transport(Self.v4(proto: 6, [0x30, 0x39, 0])) == nil)
        #expect(transport([0x45, 0, 0]) == nil)
        var shortHeader = Self.v4(proto: 6, Self.tcpTo25)
        shortHeader[0] = 0x44
        #expect(transport(shortHeader) == nil)
    }

    @Test("IPv6: past hop-by-hop, routing and destination options, and past a first fragment's header")
    func ipv6() {
        let hopByHop: [UInt8] = [60, 0, 0, 0, 0, 0, 0, 0]           // next: destination options, 8 bytes
        let options: [UInt8] = [17, 1] + [UInt8](repeating: 0, count: 14) // next: UDP, 16 bytes
        let udp: [UInt8] = [0x30, 0x39, 0, 53, 0, 8, 0, 0]
        #expect(transport(Self.v6(next: 0, hopByHop + options + udp)) == .init(proto: 17, destinationPort: 53))
        // A first fragment whose TCP header hides behind destination options after the fragment header.
        let firstFragment: [UInt8] = [60, 0, 0, 1, 0, 0, 0, 7]
        let optionsToTCP: [UInt8] = [6, 0, 0, 0, 0, 0, 0, 0]
        #expect(transport(Self.v6(next: 44, firstFragment + optionsToTCP + Self.tcpTo25)) == .init(proto: 6, destinationPort: 25))
        let laterFragment: [UInt8] = [6, 0, 0x05, 0x00, 0, 0, 0, 7]
        #expect(transport(Self.v6(next: 44, laterFragment + [1, 2, 3, 4])) == .init(proto: 6, destinationPort: nil))
        #expect(transport(Self.v6(next: 58, [128, 0, 0, 0])) == .init(proto: 58, destinationPort: nil))
        #expect(transport(Self.v6(next: 0, [6, 4])) == nil)
    }

    @Test("an IPv6 chain of more extension headers than any honest packet has is unreadable")
    func longChain() {
        let link: [UInt8] = [60, 0, 0, 0, 0, 0, 0, 0]
        let chain = Array([[UInt8]](repeating: link, count: IPPacket.maxExtensionHeaders + 1).joined())
        #expect(transport(Self.v6(next: 60, chain + [6, 0, 0, 0, 0, 0, 0, 0] + Self.tcpTo25)) == nil)
        let fits = Array([[UInt8]](repeating: link, count: IPPacket.maxExtensionHeaders - 1).joined())
        #expect(transport(Self.v6(next: 60, fits + [6, 0, 0, 0, 0, 0, 0, 0] + Self.tcpTo25)) == .init(proto: 6, destinationPort: 25))
    }
}
