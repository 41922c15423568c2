public import WarrenCrypto

/// Noise_NK_25519_ChaChaPoly_BLAKE2b (Noise §7.4): the initiator knows the responder's static
/// key and stays anonymous; the responder proves it holds that key, and both ephemeral keys
/// give forward secrecy (ee). A circuit's sender runs it with each hop's onion key, the cost
/// of Tor's ntor.
///
/// ```
///   <- s
///   ...
///   -> e, es
///   <- e, ee
/// ```
///
/// As `NoiseIK`: each side is a value its next step consumes, and neither touches a socket or
/// a clock; ephemeral keys are passed in.
public enum NoiseNK {
    public static let protocolName = "Noise_NK_25519_ChaChaPoly_BLAKE2b"
    /// Bytes the request adds to its payload: e (32) and the payload tag (16).
    public static let requestOverhead = 32 + 16
    /// Bytes the reply adds to its payload: e (32) and the payload tag (16).
    public static let responseOverhead = 32 + 16
}

public struct NKInitiator: ~Copyable {
    private var symmetric: SymmetricState
    private let ephemeral: X25519PrivateKey
    /// The first handshake message, to be sent to the responder.
    public let request: [UInt8]

    public init(responderStatic: Key32, prologue: [UInt8], ephemeral: consuming X25519PrivateKey,
                payload: [UInt8]) throws(NoiseError) {
        var state = SymmetricState(protocolName: NoiseNK.protocolName, prologue: prologue, responderStatic: responderStatic)
        var message = ephemeral.publicKey.bytes   // -> e
        message.reserveCapacity(NoiseNK.requestOverhead + payload.count)
        state.mixHash(ephemeral.publicKey.bytes)
        try state.mixDH(ephemeral, responderStatic)   // es
        message += state.encryptAndHash(payload)
        self.symmetric = state
        self.ephemeral = ephemeral
        self.request = message
    }

    /// Reads `<- e, ee` and the responder's payload; the handshake is then complete. A reply
    /// that does not authenticate ends the attempt: it came through the hops built so far,
    /// which could as well have dropped it.
    public consuming func readResponse(_ message: [UInt8]) throws(NoiseError) -> NoiseHandshakeResult {
        guard message.count >= NoiseNK.responseOverhead else { throw .truncated }
        var state = symmetric
        let re = Key32(bytes: message[0..<32])!
        state.mixHash(re.bytes)
        try state.mixDH(ephemeral, re)   // ee
        let payload = try state.decryptAndHash(Array(message[32...]))
        return NoiseHandshakeResult(payload: payload, keys: state.split())
    }
}

public struct NKResponder: ~Copyable {
    private var symmetric: SymmetricState
    private let remoteEphemeral: Key32
    /// The initiator's decrypted payload.
    public let payload: [UInt8]

    /// Reads `-> e, es` and its payload.
    public init(staticKey: borrowing X25519PrivateKey, prologue: [UInt8], request message: [UInt8]) throws(NoiseError) {
        guard message.count >= NoiseNK.requestOverhead else { throw .truncated }
        var state = SymmetricState(protocolName: NoiseNK.protocolName, prologue: prologue, responderStatic: staticKey.publicKey)
        let re = Key32(bytes: message[0..<32])!
        state.mixHash(re.bytes)
        try state.mixDH(staticKey, re)   // es, from the responder's side: DH(s, re)
        self.payload = try state.decryptAndHash(Array(message[32...]))
        self.symmetric = state
        self.remoteEphemeral = re
    }

    /// Writes `<- e, ee` with `payload`; the handshake is then complete. `message` is filled
    /// with the reply to send.
    public consuming func respond(ephemeral: consuming X25519PrivateKey, payload: [UInt8],
                                  message: inout [UInt8]) throws(NoiseError) -> NoiseHandshakeResult {
        var state = symmetric
        message = ephemeral.publicKey.bytes
        state.mixHash(ephemeral.publicKey.bytes)
        try state.mixDH(ephemeral, remoteEphemeral)   // ee
        message += state.encryptAndHash(payload)
        return NoiseHandshakeResult(payload: [], keys: state.split())
    }
}
