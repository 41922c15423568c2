public import WarrenCrypto

/// Noise §5.1 CipherState: a key (or none yet) and a 64-bit nonce, used during the handshake.
/// Transport keys leave the handshake through `split()` and are driven by the session layer.
struct CipherState: ~Copyable {
    // Before the first MixKey there is no key and Encrypt/Decrypt pass data through (Noise §5.1).
    private let key: SecretBytes
    let hasKey: Bool
    private var nonce: UInt64 = 0

    init() {
        key = SecretBytes(count: 0) { _ in }
        hasKey = false
    }

    init(key: consuming SecretBytes) {
        self.key = key
        hasKey = true
    }

    /// An explicit copy, key included, for a step that may have to be undone (see
    /// `SymmetricState.duplicate`).
    borrowing func duplicate() -> CipherState {
        var copy = hasKey ? CipherState(key: key.withUnsafeBytes { SecretBytes(copying: $0) }) : CipherState()
        copy.nonce = nonce
        return copy
    }

    mutating func encrypt(ad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        guard hasKey else { return plaintext }
        defer { nonce += 1 }
        return ChaChaPoly.seal(key: key, nonce: ChaChaPoly.nonce(counter: nonce), aad: ad, plaintext: plaintext)
    }

    mutating func decrypt(ad: [UInt8], ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard hasKey else { return ciphertext }
        do {
            let plain = try ChaChaPoly.open(key: key, nonce: ChaChaPoly.nonce(counter: nonce), aad: ad, ciphertext: ciphertext)
            nonce += 1
            return plain
        } catch {
            throw .decryptionFailed
        }
    }
}
