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
}
