/// The few IP header fields the packet path reads, straight from the buffer: version, and
/// source and destination addresses (RFC 791 §3.1, RFC 8200 §3). Nothing is copied.
public enum IPPacket {
    public static let ipv4HeaderMin = 20
    public static let ipv6HeaderBytes = 40

    @inline(__always)
    public static func version(_ p: UnsafeRawBufferPointer) -> UInt8? {
        guard p.count >= 1 else { return nil }
        return p[0] >> 4
    }

    /// The destination address, or nil for a packet too short for its header.
    @inline(__always)
    public static func destination(_ p: UnsafeRawBufferPointer) -> IPAddress? {
        address(p, v4Offset: 16, v6Offset: 24)
    }

    @inline(__always)
    public static func source(_ p: UnsafeRawBufferPointer) -> IPAddress? {
        address(p, v4Offset: 12, v6Offset: 8)
    }

    /// The length the header claims (IPv4 total length, or IPv6 payload length plus header);
    /// senders may pad, so the caller trims to this.
    @inline(__always)
    public static func totalLength(_ p: UnsafeRawBufferPointer) -> Int? {
        switch version(p) {
        case 4:
            guard p.count >= ipv4HeaderMin else { return nil }
            return Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        case 6:
            guard p.count >= ipv6HeaderBytes else { return nil }
            return ipv6HeaderBytes + Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self)))
        default:
            return nil
        }
    }

    @inline(__always)
    private static func address(_ p: UnsafeRawBufferPointer, v4Offset: Int, v6Offset: Int) -> IPAddress? {
        switch version(p) {
        case 4:
            guard p.count >= ipv4HeaderMin else { return nil }
            return .v4(IPv4Address(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: v4Offset, as: UInt32.self))))
        case 6:
            guard p.count >= ipv6HeaderBytes else { return nil }
            return .v6(IPv6Address(high: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: v6Offset, as: UInt64.self)),
                                   low: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: v6Offset + 8, as: UInt64.self))))
        default:
            return nil
        }
    }
}
