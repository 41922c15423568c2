public import WarrenCrypto

/// Noise_IK_25519_ChaChaPoly_BLAKE2b (Noise §7.5): the initiator knows the responder's static
/// key in advance and sends its own static key encrypted in the first message, so a session is
/// one round trip and the responder learns who is calling before it answers.
///
/// ```
///   <- s
///   ...
///   -> e, es, s, ss
///   <- e, ee, se
/// ```
///
/// Each side is a value that a message consumes: `IKInitiator` exists only between sending the
/// first message and reading the reply (its owner drops it once a reply authenticates);
/// `IKResponder` only between reading the first message and answering. Neither touches a socket or a clock; ephemeral keys are passed in.
public enum NoiseIK {
    public static let protocolName = "Noise_IK_25519_ChaChaPoly_BLAKE2b"
    /// Bytes a first message adds to its payload: e (32), encrypted s (32 + 16), payload tag (16).
    public static let initiationOverhead = 32 + 48 + 16
    /// Bytes the reply adds to its payload: e (32) and the payload tag (16).
    public static let responseOverhead = 32 + 16
}

public struct IKInitiator: ~Copyable {
    private var symmetric: SymmetricState
    private let ephemeral: X25519PrivateKey
    private let responderStatic: Key32
    /// The first handshake message, to be sent to the responder.
    public let initiation: [UInt8]

    public init(staticKey: borrowing X25519PrivateKey, responderStatic: Key32, prologue: [UInt8],
                ephemeral: consuming X25519PrivateKey, payload: [UInt8]) throws(NoiseError) {
        var state = SymmetricState(protocolName: NoiseIK.protocolName, prologue: prologue, responderStatic: responderStatic)
        var message: [UInt8] = []
        message.reserveCapacity(NoiseIK.initiationOverhead + payload.count)
        // -> e
        message += ephemeral.publicKey.bytes
        state.mixHash(ephemeral.publicKey.bytes)
        // -> es
        try state.mixDH(ephemeral, responderStatic)
        // -> s
        message += state.encryptAndHash(staticKey.publicKey.bytes)
        // -> ss
        try state.mixDH(staticKey, responderStatic)
        message += state.encryptAndHash(payload)
        self.symmetric = state
        self.ephemeral = ephemeral
        self.responderStatic = responderStatic
        self.initiation = message
    }

    /// Reads `<- e, ee, se` and the responder's payload; the handshake is then complete.
    /// Borrowing, unlike the other steps: a reply that fails to authenticate must leave the
    /// handshake waiting for the real one, as WireGuard's does (anyone who saw the initiation
    /// knows its index and can compute mac1, so a forgery would otherwise abort it). The
    /// caller drops the initiator once a reply succeeds.
    public borrowing func readResponse(_ message: [UInt8], staticKey: borrowing X25519PrivateKey) throws(NoiseError) -> NoiseHandshakeResult {
        guard message.count >= NoiseIK.responseOverhead else { throw .truncated }
        var state = symmetric.duplicate()
        let re = Key32(bytes: message[0..<32])!
        state.mixHash(re.bytes)
        try state.mixDH(ephemeral, re)   // ee
        try state.mixDH(staticKey, re)   // se, from the initiator's side: DH(s, re)
        let payload = try state.decryptAndHash(Array(message[32...]))
        return NoiseHandshakeResult(payload: payload, keys: state.split())
    }
}

public struct IKResponder: ~Copyable {
    private var symmetric: SymmetricState
    private let remoteEphemeral: Key32
    /// The initiator's static X25519 key, authenticated by the first message.
    public let remoteStatic: Key32
    /// The initiator's decrypted payload.
    public let payload: [UInt8]

    /// Reads `-> e, es, s, ss` and its payload.
    public init(staticKey: borrowing X25519PrivateKey, prologue: [UInt8], initiation message: [UInt8]) throws(NoiseError) {
        guard message.count >= NoiseIK.initiationOverhead else { throw .truncated }
        var state = SymmetricState(protocolName: NoiseIK.protocolName, prologue: prologue, responderStatic: staticKey.publicKey)
        let re = Key32(bytes: message[0..<32])!
        state.mixHash(re.bytes)
        try state.mixDH(staticKey, re)   // es, from the responder's side: DH(s, re)
        let rsBytes = try state.decryptAndHash(Array(message[32..<80]))
        let rs = Key32(bytes: rsBytes)!
        try state.mixDH(staticKey, rs)   // ss
        self.payload = try state.decryptAndHash(Array(message[80...]))
        self.symmetric = state
        self.remoteEphemeral = re
        self.remoteStatic = rs
    }

    /// Writes `<- e, ee, se` with `payload`; the handshake is then complete. `message` is
    /// filled with the reply to send.
    public consuming func respond(ephemeral: consuming X25519PrivateKey, payload: [UInt8],
                                  message: inout [UInt8]) throws(NoiseError) -> NoiseHandshakeResult {
        var state = symmetric
        message = ephemeral.publicKey.bytes
        state.mixHash(ephemeral.publicKey.bytes)
        try state.mixDH(ephemeral, remoteEphemeral)  // ee
        try state.mixDH(ephemeral, remoteStatic)     // se, from the responder's side: DH(e, rs)
        message += state.encryptAndHash(payload)
        return NoiseHandshakeResult(payload: [], keys: state.split())
    }
}
