import CSodium

/// ChaCha20-Poly1305 (RFC 8439, the IETF variant with a 96-bit nonce), in place.
///
/// Noise and the transport both build the nonce as 32 zero bits followed by a 64-bit
/// little-endian counter (Noise §12.3, WireGuard §5.4.6); `nonce(counter:)` makes it on the
/// stack so the packet path never allocates.
public enum ChaChaPoly {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    public typealias Nonce = (UInt32, UInt32, UInt32)

    @inline(__always)
    public static func nonce(counter: UInt64) -> Nonce {
        (0, UInt32(truncatingIfNeeded: counter).littleEndian, UInt32(truncatingIfNeeded: counter >> 32).littleEndian)
    }

    /// A nonce given as 12 raw bytes (test vectors); nil for any other length.
    public static func nonce(bytes: some Collection<UInt8>) -> Nonce? {
        guard bytes.count == nonceByteCount else { return nil }
        var n: Nonce = (0, 0, 0)
        withUnsafeMutableBytes(of: &n) { dst in for (i, b) in bytes.enumerated() { dst[i] = b } }
        return n
    }

    /// Encrypts `buffer[0..<plaintextCount]` in place and writes the tag right after it;
    /// `buffer` must have `plaintextCount + tagByteCount` bytes.
    @inline(__always)
    public static func seal(key: UnsafeRawBufferPointer, nonce: Nonce, aad: UnsafeRawBufferPointer,
                            buffer: UnsafeMutableRawBufferPointer, plaintextCount: Int) {
        precondition(key.count == keyByteCount && buffer.count >= plaintextCount + tagByteCount)
        var n = nonce
        withUnsafeBytes(of: &n) { np in
            let p = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                p, nil, p, UInt64(plaintextCount),
                aad.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(aad.count), nil,
                np.baseAddress!.assumingMemoryBound(to: UInt8.self),
                key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Decrypts `buffer` (ciphertext ‖ tag) in place; returns the plaintext length, or nil
    /// if the tag does not verify (the buffer's contents are then unspecified).
    @inline(__always)
    public static func open(key: UnsafeRawBufferPointer, nonce: Nonce, aad: UnsafeRawBufferPointer,
                            buffer: UnsafeMutableRawBufferPointer) -> Int? {
        precondition(key.count == keyByteCount)
        guard buffer.count >= tagByteCount else { return nil }
        var n = nonce
        var plainCount: UInt64 = 0
        let rc = withUnsafeBytes(of: &n) { np in
            let p = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return crypto_aead_chacha20poly1305_ietf_decrypt(
                p, &plainCount, nil, p, UInt64(buffer.count),
                aad.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(aad.count),
                np.baseAddress!.assumingMemoryBound(to: UInt8.self),
                key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return rc == 0 ? Int(plainCount) : nil
    }

    /// Copying convenience for handshakes and tests (not for the packet path).
    public static func seal(key: borrowing SecretBytes, nonce: Nonce, aad: some Collection<UInt8>,
                            plaintext: some Collection<UInt8>) -> [UInt8] {
        var buf = Array(plaintext) + [UInt8](repeating: 0, count: tagByteCount)
        let ad = Array(aad)
        let count = buf.count - tagByteCount
        key.withUnsafeBytes { k in
            ad.withUnsafeBytes { a in
                buf.withUnsafeMutableBytes { seal(key: k, nonce: nonce, aad: a, buffer: $0, plaintextCount: count) }
            }
        }
        return buf
    }

    public static func open(key: borrowing SecretBytes, nonce: Nonce, aad: some Collection<UInt8>,
                            ciphertext: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        var buf = Array(ciphertext)
        let ad = Array(aad)
        let n = key.withUnsafeBytes { k in
            ad.withUnsafeBytes { a in buf.withUnsafeMutableBytes { open(key: k, nonce: nonce, aad: a, buffer: $0) } }
        }
        guard let n else { throw .authenticationFailed }
        return Array(buf.prefix(n))
    }
}
