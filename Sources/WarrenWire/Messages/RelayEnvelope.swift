/// The header a datagram travels under between a node and a relay (`MessageType.relayEnvelope`).
/// The datagram inside is a whole Warren datagram (a handshake message or a transport packet)
/// of the end-to-end session between the two nodes the relay joins, which the relay cannot
/// read: it only looks up the channel, rewrites it to the other side's, and sends the
/// datagram on.
///
/// ```
///  0    1        4                8
///  +----+--------+----------------+-------------------------+
///  | 5  | 0 0 0  | channel (BE)   | handshake or transport  |
///  +----+--------+----------------+-------------------------+
/// ```
public enum RelayEnvelope {
    public static let byteCount = 8

    /// The channel of an envelope, or nil if `datagram` is not one with room for a datagram
    /// inside. Channel 0 is never allocated.
    @inline(__always)
    public static func channel(_ datagram: UnsafeRawBufferPointer) -> UInt32? {
        guard datagram.count >= byteCount + 4,
              datagram.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == UInt32(MessageType.relayEnvelope.rawValue).littleEndian
        else { return nil }
        let channel = UInt32(bigEndian: datagram.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        return channel == 0 ? nil : channel
    }

    /// Writes the header for `channel` into the first `byteCount` bytes of `buffer`.
    @inline(__always)
    public static func write(channel: UInt32, into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= byteCount)
        buffer.storeBytes(of: UInt32(MessageType.relayEnvelope.rawValue).littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: channel.bigEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// `datagram` in an envelope for `channel` (for the control thread; the packet threads
    /// write the header in place).
    public static func wrap(_ datagram: [UInt8], channel: UInt32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount + datagram.count)
        out.withUnsafeMutableBytes { write(channel: channel, into: $0) }
        out.replaceSubrange(byteCount..., with: datagram)
        return out
    }
}
