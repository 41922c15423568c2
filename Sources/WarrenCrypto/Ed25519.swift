import CSodium

/// An Ed25519 signing key (RFC 8032). A node's single long-term key is one of these: it signs
/// (certificates, records) and converts to the X25519 key its handshakes use, so a node has
/// one key file and one public key.
public struct SigningKey: ~Copyable, Sendable {
    public static let seedByteCount = 32
    public static let signatureByteCount = 64
    /// libsodium's 64-byte secret key: seed ‖ public key.
    private let secret: SecretBytes
    public let publicKey: Key32

    public init(random: inout some RandomSource) {
        var seed = Key32()
        seed.withUnsafeMutableBytes { random.fill($0) }
        self.init(seed: seed.withUnsafeBytes { SecretBytes(copying: $0) })
        seed.withUnsafeMutableBytes { secureZero($0) }
    }

    /// Derives the key pair from a 32-byte seed (the form kept in key files).
    public init(seed: borrowing SecretBytes) {
        precondition(seed.count == Self.seedByteCount, "Ed25519 seeds are 32 bytes")
        Sodium.ensureReady()
        var pub = Key32()
        secret = SecretBytes(count: 64) { sk in
            seed.withUnsafeBytes { s in
                pub.withUnsafeMutableBytes { pk in
                    _ = crypto_sign_seed_keypair(pk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                 sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                 s.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        publicKey = pub
    }

    /// The seed, for writing the key file.
    public func seed() -> SecretBytes {
        SecretBytes(count: Self.seedByteCount) { out in
            secret.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<Self.seedByteCount])) }
        }
    }

    public func sign(_ message: some Collection<UInt8>) -> [UInt8] {
        let msg = Array(message)
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        secret.withUnsafeBytes { sk in
            _ = crypto_sign_detached(&signature, nil, msg, UInt64(msg.count),
                                     sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return signature
    }

    /// The birationally equivalent X25519 private key (libsodium's
    /// crypto_sign_ed25519_sk_to_curve25519), used as the Noise static key.
    public func x25519() -> X25519PrivateKey {
        let converted = SecretBytes(count: 32) { out in
            secret.withUnsafeBytes { sk in
                _ = crypto_sign_ed25519_sk_to_curve25519(out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                         sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return X25519PrivateKey(secret: converted)
    }
}

public enum Ed25519 {
    public static func verify(signature: some Collection<UInt8>, message: some Collection<UInt8>,
                              publicKey: Key32) -> Bool {
        Sodium.ensureReady()
        let sig = Array(signature), msg = Array(message)
        guard sig.count == SigningKey.signatureByteCount else { return false }
        return publicKey.withUnsafeBytes { pk in
            crypto_sign_verify_detached(sig, msg, UInt64(msg.count),
                                        pk.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
        }
    }

    /// The X25519 public key matching an Ed25519 public key; nil if the point is invalid.
    public static func x25519PublicKey(from ed25519: Key32) -> Key32? {
        Sodium.ensureReady()
        var out = Key32()
        let rc = ed25519.withUnsafeBytes { pk in
            out.withUnsafeMutableBytes { x in
                crypto_sign_ed25519_pk_to_curve25519(x.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                     pk.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return rc == 0 ? out : nil
    }
}
