import CSodium

/// An X25519 private key (RFC 7748), used for Noise's DH operations. Owns its secret.
public struct X25519PrivateKey: ~Copyable, Sendable {
    public static let byteCount = 32
    private let secret: SecretBytes
    public let publicKey: Key32

    /// A fresh key from the CSPRNG; handshakes get ephemeral keys this way.
    public init(random: inout some RandomSource) {
        var raw = Key32()
        raw.withUnsafeMutableBytes { random.fill($0) }
        self.init(secret: raw.withUnsafeBytes { SecretBytes(copying: $0) })
        raw.withUnsafeMutableBytes { secureZero($0) }
    }

    /// Adopts existing key material (from a key file, a derived Ed25519 key or a test vector).
    public init(secret: consuming SecretBytes) {
        precondition(secret.count == Self.byteCount, "X25519 private keys are 32 bytes")
        Sodium.ensureReady()
        var pub = Key32()
        secret.withUnsafeBytes { sk in
            pub.withUnsafeMutableBytes { pk in
                _ = crypto_scalarmult_base(pk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                           sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        self.secret = secret
        self.publicKey = pub
    }

    /// X25519(self, peer). Refuses low-order peer keys, whose output is all zeros (RFC 7748 §6.1).
    public func sharedSecret(with peer: Key32) throws(CryptoError) -> SecretBytes {
        try SecretBytes(count: 32) { (out: UnsafeMutableRawBufferPointer) throws(CryptoError) in
            let rc = secret.withUnsafeBytes { sk in
                peer.withUnsafeBytes { pk in
                    crypto_scalarmult(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                      sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                      pk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            if rc != 0 { throw .weakPublicKey }
        }
    }
}
