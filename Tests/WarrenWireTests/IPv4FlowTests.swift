import Testing
@testable import WarrenWire

@Suite("IPv4 flows")
struct IPv4FlowTests {
    static let a = IPv4Address(10, 8, 0, 2)
    static let b = IPv4Address(10, 8, 0, 40)

    /// An IPv4 packet of `proto` from a:`sourcePort` to b:`destinationPort` with its
    /// checksums right.
    static func packet(proto: UInt8, payload: [UInt8] = Array("some payload".utf8), udpChecksum: Bool = true,
                       flags: UInt16 = 0x4000) -> [UInt8] {
        let transport: [UInt8]
        switch proto {
        case IPv4Flow.tcp: transport = [0x30, 0x39, 0x00, 0x16, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0] + payload
        case IPv4Flow.udp: transport = [0x30, 0x39, 0x00, 0x35, UInt8((8 + payload.count) >> 8), UInt8((8 + payload.count) & 0xff), 0xff, 0xff] + payload
        default: transport = [8, 0, 0, 0, 0x12, 0x34, 0, 1] + payload
        }
        let total = 20 + transport.count
        var p: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, UInt8(flags >> 8), UInt8(flags & 0xff), 64, proto, 0, 0]
        p += a.bytes + b.bytes + transport
        IPv4Flow(of: p)?.write(into: &p)  // computes every checksum (a fragment keeps none)
        if proto == IPv4Flow.udp && !udpChecksum { p[26] = 0; p[27] = 0 }
        return p
    }

    static func checksumsHold(_ p: [UInt8]) -> Bool {
        p.withUnsafeBytes { raw in
            let header = UnsafeRawBufferPointer(rebasing: raw[0..<20])
            let transport = UnsafeRawBufferPointer(rebasing: raw[20...])
            let pseudo = p[9] == IPv4Flow.icmp ? 0 : InternetChecksum.pseudoHeaderSum(raw, protocol: p[9], length: transport.count)
            return InternetChecksum.verifies(header) && InternetChecksum.verifies(transport, pseudoHeaderSum: pseudo)
        }
    }

    @Test("TCP, UDP and ICMP echo flows are read, rewritten, and their checksums made right", arguments: [IPv4Flow.tcp, IPv4Flow.udp, IPv4Flow.icmp])
    func rewrite(proto: UInt8) throws {
        var p = Self.packet(proto: proto)
        #expect(Self.checksumsHold(p))
        var flow = try #require(IPv4Flow(of: p))
        #expect(flow.source == Self.a && flow.destination == Self.b)
        if proto == IPv4Flow.icmp {
            #expect(flow.sourcePort == 0x1234 && flow.destinationPort == 0x1234 && flow.isEchoRequest(p))
        } else {
            #expect(flow.sourcePort == 12345 && flow.destinationPort == (proto == IPv4Flow.tcp ? 22 : 53))
        }
        flow.source = IPv4Address(10, 8, 0, 7)
        flow.sourcePort = 61_234
        flow.write(into: &p)
        #expect(Self.checksumsHold(p))
        let reread = try #require(IPv4Flow(of: p))
        #expect(reread.source == IPv4Address(10, 8, 0, 7) && reread.sourcePort == 61_234 && reread.destination == Self.b)
        #expect(p.suffix(12) == Array("some payload".utf8), "the payload is untouched")
    }

    @Test("a UDP packet sent without a checksum keeps none")
    func udpWithoutChecksum() throws {
        var p = Self.packet(proto: IPv4Flow.udp, udpChecksum: false)
        var flow = try #require(IPv4Flow(of: p))
        flow.sourcePort = 61_000
        flow.write(into: &p)
        #expect(p[26] == 0 && p[27] == 0 && IPv4Flow(of: p)?.sourcePort == 61_000)
    }

    @Test("fragments, other protocols and ICMP errors, IPv6, and packets shorter than they claim have no flow")
    func refused() {
        #expect(IPv4Flow(of: Self.packet(proto: IPv4Flow.udp, flags: 0x2000)) == nil, "more fragments")
        #expect(IPv4Flow(of: Self.packet(proto: IPv4Flow.udp, flags: 0x0010)) == nil, "a later fragment")
        #expect(IPv4Flow(of: Self.packet(proto: 47)) == nil, "GRE")
        var unreachable = Self.packet(proto: IPv4Flow.icmp)
        unreachable[20] = 3
        #expect(IPv4Flow(of: unreachable) == nil)
        var v6 = Self.packet(proto: IPv4Flow.udp)
        v6[0] = 0x60
        #expect(IPv4Flow(of: v6) == nil)
        let whole = Self.packet(proto: IPv4Flow.tcp)
        #expect(IPv4Flow(of: Array(whole.prefix(whole.count - 1))) == nil, "total length past the end")
        var shortTCP = Array(whole.prefix(30))
        shortTCP[2] = 0
        shortTCP[3] = 30
        #expect(IPv4Flow(of: shortTCP) == nil, "a TCP header cut short")
        #expect(IPv4Flow(of: []) == nil && IPv4Flow(of: [0x45]) == nil)
    }
}
