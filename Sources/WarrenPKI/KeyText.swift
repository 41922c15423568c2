public import WarrenCrypto

/// Keys as text, the way `wg genkey` and `wg pubkey` print them: one base64 line. A node's
/// private key file holds its 32-byte Ed25519 seed; its public key is the Ed25519 public key.
public enum KeyText {
    public static func privateKey(_ key: borrowing SigningKey) -> String {
        key.seed().withUnsafeBytes { Encoding.base64($0) } + "\n"
    }

    public static func publicKey(_ key: Key32) -> String { Encoding.base64(key.bytes) }

    /// Parses a private key file's text (surrounding whitespace allowed).
    public static func parsePrivateKey(_ text: String) -> SigningKey? {
        let trimmed = Substring(text).trimmingWhitespace()
        guard var raw = Encoding.fromBase64(trimmed), raw.count == SigningKey.seedByteCount else { return nil }
        defer { raw.withUnsafeMutableBytes { secureZero($0) } }
        return SigningKey(seed: SecretBytes(copying: raw))
    }

    public static func parsePublicKey(_ text: String) -> Key32? {
        guard let raw = Encoding.fromBase64(Substring(text).trimmingWhitespace()) else { return nil }
        return Key32(bytes: raw)
    }
}
