public import WarrenCrypto

/// mac1 on handshake messages (WireGuard §5.4.4): a keyed BLAKE2b-128 over the message,
/// keyed by a hash of the receiver's public key. A receiver checks it before any
/// Diffie-Hellman, so packets from anyone who does not know its key cost one hash. mac2 is
/// the same MAC keyed by a cookie (§5.4.7), over the message and its mac1.
public enum HandshakeMAC {
    public static let byteCount = 16
    private static let label = Array("mac1----".utf8)
    private static let cookieLabel = Array("cookie--".utf8)

    public static func key(for receiverHandshakeKey: Key32) -> [UInt8] {
        Blake2b.hash(label, receiverHandshakeKey.bytes, outputCount: 32)
    }

    /// The key a cookie reply from the holder of `senderHandshakeKey` is encrypted with.
    public static func cookieKey(for senderHandshakeKey: Key32) -> [UInt8] {
        Blake2b.hash(cookieLabel, senderHandshakeKey.bytes, outputCount: 32)
    }

    public static func mac2(_ message: [UInt8], cookie: [UInt8]) -> [UInt8] {
        mac1(message, key: cookie)
    }

    public static func mac1(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        Blake2b.hash(message, key: key, outputCount: byteCount)
    }

    public static func verify(_ message: [UInt8], mac: [UInt8], key: [UInt8]) -> Bool {
        let expected = mac1(message, key: key)
        return expected.withUnsafeBytes { a in mac.withUnsafeBytes { b in constantTimeEquals(a, b) } }
    }

    /// Whether a whole initiation or response, as received, carries a valid mac1: both end
    /// in mac1 and mac2, and mac1 covers everything before it. Allocates nothing.
    static func verifyMAC1(ofMessage message: UnsafeRawBufferPointer, key: [UInt8]) -> Bool {
        guard message.count >= 2 * byteCount else { return false }
        let macStart = message.count - 2 * byteCount
        return withUnsafeTemporaryAllocation(byteCount: byteCount, alignment: 1) { expected in
            key.withUnsafeBytes { Blake2b.mac(UnsafeRawBufferPointer(rebasing: message[..<macStart]), key: $0, into: expected) }
            return constantTimeEquals(UnsafeRawBufferPointer(expected),
                                      UnsafeRawBufferPointer(rebasing: message[macStart..<macStart + byteCount]))
        }
    }
}
