public import WarrenCrypto

/// Noise §5.2 SymmetricState for Noise_*_25519_ChaChaPoly_BLAKE2b: the chaining key, the
/// handshake hash and the current CipherState.
struct SymmetricState: ~Copyable {
    static let hashByteCount = 64
    private var chainingKey: SecretBytes
    private(set) var handshakeHash: [UInt8]
    private var cipher = CipherState()

    init(protocolName: String) {
        let name = Array(protocolName.utf8)
        // Noise §5.2 InitializeSymmetric: pad a short name with zeros, hash a long one.
        let h = name.count <= Self.hashByteCount
            ? name + [UInt8](repeating: 0, count: Self.hashByteCount - name.count)
            : Blake2b.hash(name)
        handshakeHash = h
        chainingKey = SecretBytes(copying: h)
    }

    /// h and ck after the prologue and the pre-message `<- s` (Noise §5.3 Initialize), as
    /// IK and NK both begin.
    init(protocolName: String, prologue: [UInt8], responderStatic: Key32) {
        self.init(protocolName: protocolName)
        mixHash(prologue)
        mixHash(responderStatic.bytes)
    }

    /// An explicit copy, secrets included (each copy wipes its own). An initiator reads a
    /// reply on a copy, so that a reply that fails leaves it able to read the genuine one.
    borrowing func duplicate() -> SymmetricState {
        SymmetricState(chainingKey: chainingKey.withUnsafeBytes { SecretBytes(copying: $0) }, handshakeHash: handshakeHash,
                       cipher: cipher.duplicate())
    }

    private init(chainingKey: consuming SecretBytes, handshakeHash: [UInt8], cipher: consuming CipherState) {
        self.chainingKey = chainingKey
        self.handshakeHash = handshakeHash
        self.cipher = cipher
    }

    mutating func mixHash(_ data: [UInt8]) {
        handshakeHash = Blake2b.hash(handshakeHash, data)
    }

    mutating func mixKey(_ input: borrowing SecretBytes) {
        var outputs = chainingKey.withUnsafeBytes { ck in
            input.withUnsafeBytes { ikm in Blake2b.hkdf(chainingKey: Array(ck), input: Array(ikm), outputs: 2) }
        }
        chainingKey = SecretBytes(copying: outputs[0])
        cipher = CipherState(key: SecretBytes(copying: outputs[1][0..<32]))
        for i in outputs.indices { outputs[i].withUnsafeMutableBytes { secureZero($0) } }
    }

    /// MixKey(DH(local, remote)), refusing a low-order remote key.
    mutating func mixDH(_ local: borrowing X25519PrivateKey, _ remote: Key32) throws(NoiseError) {
        do {
            let shared = try local.sharedSecret(with: remote)
            mixKey(shared)
        } catch {
            throw .weakKey
        }
    }

    mutating func encryptAndHash(_ plaintext: [UInt8]) -> [UInt8] {
        let c = cipher.encrypt(ad: handshakeHash, plaintext: plaintext)
        mixHash(c)
        return c
    }

    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let p = try cipher.decrypt(ad: handshakeHash, ciphertext: ciphertext)
        mixHash(ciphertext)
        return p
    }

    /// Noise §5.2 Split: the two transport keys, initiator→responder first.
    consuming func split() -> TransportKeys {
        var outputs = chainingKey.withUnsafeBytes { ck in Blake2b.hkdf(chainingKey: Array(ck), input: [], outputs: 2) }
        let first = SecretBytes(copying: outputs[0][0..<32])
        let second = SecretBytes(copying: outputs[1][0..<32])
        for i in outputs.indices { outputs[i].withUnsafeMutableBytes { secureZero($0) } }
        return TransportKeys(initiatorToResponder: first, responderToInitiator: second, handshakeHash: handshakeHash)
    }
}

/// The result of a completed handshake: one key per direction, and the handshake hash
/// (Noise §11.2 channel binding).
public struct TransportKeys: ~Copyable, Sendable {
    public var initiatorToResponder: SecretBytes
    public var responderToInitiator: SecretBytes
    public let handshakeHash: [UInt8]
}

extension TransportKeys {
    /// The keys from one side's point of view: what it sends with and what it receives with.
    public consuming func oriented(isInitiator: Bool) -> DirectionalKeys {
        isInitiator
            ? DirectionalKeys(send: initiatorToResponder, receive: responderToInitiator)
            : DirectionalKeys(send: responderToInitiator, receive: initiatorToResponder)
    }
}

public struct DirectionalKeys: ~Copyable, Sendable {
    public let send: SecretBytes
    public let receive: SecretBytes
}
