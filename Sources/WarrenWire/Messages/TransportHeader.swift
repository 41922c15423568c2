/// The header of an encrypted transport packet. The receiver finds the session by
/// `receiverIndex` (never by address), and `counter` is both the AEAD nonce and the replay
/// window's sequence number.
///
/// ```
///  0    1        4                8                         16
///  +----+--------+----------------+-------------------------+--------------------+
///  | 4  | 0 0 0  | receiver index | counter (little-endian) | ciphertext ‖ tag   |
///  +----+--------+----------------+-------------------------+--------------------+
/// ```
/// The plaintext is an IP packet, empty (a keepalive), or a control message whose first byte
/// is below 0x40, which no IPv4 or IPv6 header starts with.
public enum TransportHeader {
    public static let byteCount = 16
    public static let tagByteCount = 16
    public static let overhead = byteCount + tagByteCount

    @inline(__always)
    public static func write(receiverIndex: UInt32, counter: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= byteCount)
        buffer.storeBytes(of: UInt32(MessageType.transport.rawValue).littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: receiverIndex.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: counter.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Reads index and counter; nil if the packet cannot be a transport packet (too short for
    /// a header and a tag, or another type).
    @inline(__always)
    public static func parse(_ packet: UnsafeRawBufferPointer) -> (receiverIndex: UInt32, counter: UInt64)? {
        guard packet.count >= overhead,
              packet.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == UInt32(MessageType.transport.rawValue).littleEndian
        else { return nil }
        return (UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                UInt64(littleEndian: packet.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}
