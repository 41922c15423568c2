/// The first byte of every datagram on Warren's UDP port. Three reserved zero bytes follow, so
/// the fields after them are 4-byte aligned (as in WireGuard, whose layout this mirrors).
///
/// STUN shares the port and is told apart by its magic cookie (RFC 8489 §5): a STUN message
/// starts with two zero bits and its type, never with one of these values followed by three
/// zero bytes.
public enum MessageType: UInt8, Sendable {
    case handshakeInitiation = 1
    case handshakeResponse = 2
    /// Reserved for the under-load cookie reply (WireGuard §5.4.7); not sent yet.
    case cookieReply = 3
    case transport = 4
    /// Reserved for relay envelopes (A→R→B), carried by the NAT-traversal work.
    case relayEnvelope = 5
    /// A member's announcement on its LAN (`LANBeacon`), sent to a multicast group.
    case lanBeacon = 6

    /// Reads the type of a datagram, or nil if the first four bytes are not a Warren header.
    @inline(__always)
    public static func classify(_ datagram: UnsafeRawBufferPointer) -> MessageType? {
        guard datagram.count >= 4, datagram[1] == 0, datagram[2] == 0, datagram[3] == 0 else { return nil }
        return MessageType(rawValue: datagram[0])
    }

    /// The longest STUN message the port takes: RFC 8489 §6.2.1 keeps STUN over UDP within
    /// 576 bytes on IPv4 and 1280 on IPv6 when the path MTU is unknown, and every message a
    /// node asks for or answers is far smaller. Longer ones are dropped in the packet thread,
    /// before the control thread copies them.
    public static let maxSTUNByteCount = 1280

    /// Whether a datagram that is not a Warren header is STUN (RFC 8489 §5): two zero bits, a
    /// whole header, and the magic cookie — or, from an RFC 3489 client that predates the
    /// cookie, a Binding request whose length field matches the datagram. Check `classify`
    /// first: a Warren header wins.
    @inline(__always)
    public static func isSTUN(_ datagram: UnsafeRawBufferPointer) -> Bool {
        guard datagram.count >= 20, datagram[0] & 0xC0 == 0 else { return false }
        if UInt32(bigEndian: datagram.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == 0x2112_A442 { return true }
        let length = Int(datagram[2]) << 8 | Int(datagram[3])
        return datagram[0] == 0x00 && datagram[1] == 0x01 && length + 20 == datagram.count
    }
}
