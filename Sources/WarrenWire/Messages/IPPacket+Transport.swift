extension IPPacket {
    /// What a packet carries, as far as a policy on protocol and port can see: the transport
    /// protocol number (IPv6: past any extension headers) and, for the protocols with ports
    /// at the head of their header (TCP, UDP, UDP-Lite, SCTP, DCCP), the destination port
    /// when it is in this packet.
    public struct Transport: Hashable, Sendable {
        public static let icmp: UInt8 = 1
        public static let tcp: UInt8 = 6
        public static let udp: UInt8 = 17
        public static let icmpv6: UInt8 = 58
        public static let sctp: UInt8 = 132
        public static let dccp: UInt8 = 33
        public static let udpLite: UInt8 = 136

        /// Those whose destination port follows the source port at the header's start.
        public static let withPorts: [UInt8] = [tcp, udp, udpLite, sctp, dccp]

        public var proto: UInt8
        /// Nil for a protocol without ports, and for a fragment other than the first (IPv4
        /// offset or IPv6 fragment offset not 0), whose transport header went in the first.
        public var destinationPort: UInt16?

        public init(proto: UInt8, destinationPort: UInt16?) {
            self.proto = proto
            self.destinationPort = destinationPort
        }

        static func hasPorts(_ proto: UInt8) -> Bool { withPorts.contains(proto) }
    }

    /// The transport of `p`, or nil for a packet too short for its headers (a first fragment
    /// of TCP or UDP without its ports among them), or an IPv6 chain of extension headers
    /// longer than `maxExtensionHeaders` — nobody can say what such a packet carries.
    public static func transport(_ p: UnsafeRawBufferPointer) -> Transport? {
        switch version(p) {
        case 4:
            guard p.count >= ipv4HeaderMin else { return nil }
            let headerBytes = Int(p[0] & 0x0f) * 4
            guard headerBytes >= ipv4HeaderMin else { return nil }
            let proto = p[9]
            let fragmentOffset = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x1fff
            return transport(p, proto: proto, at: headerBytes, laterFragment: fragmentOffset != 0)
        case 6:
            guard p.count >= ipv6HeaderBytes else { return nil }
            var next = p[6]
            var offset = ipv6HeaderBytes
            // Walked on past a first fragment's header: options after it must not hide its
            // TCP or UDP header from the policy.
            for _ in 0...maxExtensionHeaders {
                switch next {
                case 0, 43, 60:  // hop-by-hop, routing, destination options: length in 8-byte units past the first 8
                    guard p.count >= offset + 2 else { return nil }
                    (next, offset) = (p[offset], offset + 8 + Int(p[offset + 1]) * 8)
                case 44:  // fragment: fixed 8 bytes
                    guard p.count >= offset + 8 else { return nil }
                    let fragmentOffset = UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)) >> 3
                    // What follows in a later fragment is payload, not headers.
                    guard fragmentOffset == 0 else { return Transport(proto: p[offset], destinationPort: nil) }
                    (next, offset) = (p[offset], offset + 8)
                default:
                    return transport(p, proto: next, at: offset, laterFragment: false)
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// The most IPv6 extension headers `transport` walks: RFC 8200 §4.1 allows each at most
    /// once or twice; a longer chain is someone trying to hide the transport header.
    public static let maxExtensionHeaders = 8

    private static func transport(_ p: UnsafeRawBufferPointer, proto: UInt8, at offset: Int, laterFragment: Bool) -> Transport? {
        guard Transport.hasPorts(proto), !laterFragment else { return Transport(proto: proto, destinationPort: nil) }
        guard p.count >= offset + 4 else { return nil }
        return Transport(proto: proto, destinationPort: UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)))
    }
}
