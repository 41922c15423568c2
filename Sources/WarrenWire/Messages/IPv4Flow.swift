/// The transport flow of an IPv4 packet, and rewriting its addresses and ports with every
/// checksum made right again: what a circuit's sender and last hop do to hide the sender's
/// address (a translation like a NAT's, RFC 3022). TCP and UDP by their ports, ICMP echo by
/// its identifier (as both port numbers, RFC 5508 §3.1); nothing else, and no fragment:
/// without a port a reply cannot be told apart.
public struct IPv4Flow: Hashable, Sendable {
    public static let tcp: UInt8 = 6
    public static let udp: UInt8 = 17
    public static let icmp: UInt8 = 1
    static let echoRequest: UInt8 = 8
    static let echoReply: UInt8 = 0

    public var proto: UInt8
    public var source: IPv4Address
    public var destination: IPv4Address
    /// TCP and UDP ports; for ICMP echo, the identifier in both.
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(proto: UInt8, source: IPv4Address, destination: IPv4Address, sourcePort: UInt16, destinationPort: UInt16) {
        self.proto = proto
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    /// The flow of `packet`, or nil for one this cannot translate (not IPv4, a fragment,
    /// ICMP other than echo, another protocol, or a header that does not fit).
    public init?(of packet: [UInt8]) {
        guard let flow = packet.withUnsafeBytes({ IPv4Flow(of: $0) }) else { return nil }
        self = flow
    }

    /// `init(of:)` over the packet in place.
    @inline(__always)
    public init?(of packet: UnsafeRawBufferPointer) {
        guard let header = Self.transportOffset(packet) else { return nil }
        let total = Int(Self.word(packet, 2))
        let proto = packet[9]
        let ports: (UInt16, UInt16)
        switch proto {
        case Self.tcp, Self.udp:
            guard total >= header + (proto == Self.tcp ? 20 : 8) else { return nil }
            ports = (Self.word(packet, header), Self.word(packet, header + 2))
        case Self.icmp:
            guard total >= header + 8, packet[header] == Self.echoRequest || packet[header] == Self.echoReply else { return nil }
            let identifier = Self.word(packet, header + 4)
            ports = (identifier, identifier)
        default:
            return nil
        }
        self.init(proto: proto, source: IPv4Address(UInt32(Self.word(packet, 12)) << 16 | UInt32(Self.word(packet, 14))),
                  destination: IPv4Address(UInt32(Self.word(packet, 16)) << 16 | UInt32(Self.word(packet, 18))),
                  sourcePort: ports.0, destinationPort: ports.1)
    }

    /// Writes this flow's addresses and ports into `packet` (whose flow was read with
    /// `init(of:)`) and recomputes its checksums. For ICMP echo the identifier is taken from
    /// `sourcePort` in a request and from `destinationPort` in a reply.
    public func write(into packet: inout [UInt8]) {
        packet.withUnsafeMutableBytes { write(into: $0) }
    }

    /// `write(into:)` over the packet in place.
    @inline(__always)
    public func write(into p: UnsafeMutableRawBufferPointer) {
        guard let header = Self.transportOffset(UnsafeRawBufferPointer(p)) else { return }
        let length = Int(Self.word(UnsafeRawBufferPointer(p), 2)) - header
        let isRequest = p[header] == Self.echoRequest
        func store(_ value: UInt16, at offset: Int) { p.storeBytes(of: value, toByteOffset: offset, as: UInt16.self) }
        p.storeBytes(of: source.value.bigEndian, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: destination.value.bigEndian, toByteOffset: 16, as: UInt32.self)
        store(0, at: 10)
        store(InternetChecksum.finish(InternetChecksum.add(UnsafeRawBufferPointer(rebasing: p[0..<header]))), at: 10)
        let transport = UnsafeRawBufferPointer(rebasing: p[header..<(header + length)])
        switch proto {
        case Self.tcp, Self.udp:
            store(sourcePort.bigEndian, at: header)
            store(destinationPort.bigEndian, at: header + 2)
            let field = header + (proto == Self.tcp ? 16 : 6)
            // A UDP checksum of zero means none was computed (RFC 768): keep it so.
            if proto == Self.udp && p.loadUnaligned(fromByteOffset: field, as: UInt16.self) == 0 { return }
            store(0, at: field)
            let pseudo = InternetChecksum.pseudoHeaderSum(UnsafeRawBufferPointer(p), protocol: proto, length: length)
            let sum = InternetChecksum.finish(InternetChecksum.add(transport, to: pseudo))
            store(proto == Self.udp && sum == 0 ? 0xffff : sum, at: field)
        default:
            store((isRequest ? sourcePort : destinationPort).bigEndian, at: header + 4)
            store(0, at: header + 2)
            store(InternetChecksum.finish(InternetChecksum.add(transport)), at: header + 2)
        }
    }

    /// Whether `packet` (whose flow this is) is an ICMP echo request rather than a reply.
    public func isEchoRequest(_ packet: [UInt8]) -> Bool {
        packet.withUnsafeBytes { isEchoRequest($0) }
    }

    @inline(__always)
    public func isEchoRequest(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard proto == Self.icmp, let header = Self.transportOffset(packet) else { return false }
        return packet[header] == Self.echoRequest
    }

    /// Where the transport header starts, for an unfragmented IPv4 packet whose header and
    /// total length fit what was received.
    @inline(__always)
    static func transportOffset(_ packet: UnsafeRawBufferPointer) -> Int? {
        guard packet.count >= IPPacket.ipv4HeaderMin, packet[0] >> 4 == 4 else { return nil }
        let header = Int(packet[0] & 0x0f) * 4
        let total = Int(word(packet, 2))
        // More-fragments set, or a fragment offset: a later fragment has no ports.
        guard header >= IPPacket.ipv4HeaderMin, total >= header, total <= packet.count, word(packet, 6) & 0x3fff == 0 else { return nil }
        return header
    }

    @inline(__always)
    static func word(_ packet: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(packet[offset]) << 8 | UInt16(packet[offset + 1])
    }
}
