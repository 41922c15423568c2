import CSodium

/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha): ChaCha20-Poly1305 with a 192-bit nonce, so
/// a random nonce never repeats in practice. Only cookie replies use it (WireGuard §5.4.7),
/// where the nonce is drawn fresh for each reply; never on the packet path.
public enum XChaChaPoly {
    public static let keyByteCount = 32
    public static let nonceByteCount = 24
    public static let tagByteCount = 16

    /// `plaintext` encrypted and authenticated with `aad`, the tag appended.
    public static func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount)
        Sodium.ensureReady()
        var sealed = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var sealedCount: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(&sealed, &sealedCount, plaintext, UInt64(plaintext.count),
                                                       aad, UInt64(aad.count), nil, nonce, key)
        return sealed
    }

    /// The plaintext of `ciphertext` (with its tag), or a throw if it does not authenticate.
    public static func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], ciphertext: [UInt8]) throws(CryptoError) -> [UInt8] {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount)
        guard ciphertext.count >= tagByteCount else { throw .authenticationFailed }
        Sodium.ensureReady()
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        var plaintextCount: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(&plaintext, &plaintextCount, nil, ciphertext,
                                                            UInt64(ciphertext.count), aad, UInt64(aad.count), nonce, key)
        guard rc == 0 else { throw .authenticationFailed }
        return plaintext
    }
}
