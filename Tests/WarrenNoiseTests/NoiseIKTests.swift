import Foundation
import Testing
import WarrenCrypto
import WarrenTestSupport
@testable import WarrenNoise

/// Runs both sides of Noise IK with the fixed keys of a published vector and checks every
/// message byte for byte, the handshake hash, and the transport messages after Split().
private func runVector(_ v: [String: Any]) throws {
    let initiatorStatic = X25519PrivateKey(secret: SecretBytes(copying: try v.hex("init_static")))
    let responderStatic = X25519PrivateKey(secret: SecretBytes(copying: try v.hex("resp_static")))
    let messages = try Vectors.entries(v, "messages")
    #expect(Key32(bytes: try v.hex("init_remote_static")) == responderStatic.publicKey)

    let initiator = try IKInitiator(
        staticKey: initiatorStatic, responderStatic: responderStatic.publicKey,
        prologue: try v.hex("init_prologue"),
        ephemeral: X25519PrivateKey(secret: SecretBytes(copying: try v.hex("init_ephemeral"))),
        payload: try messages[0].hex("payload"))
    #expect(initiator.initiation == (try messages[0].hex("ciphertext")))

    let responder = try IKResponder(staticKey: responderStatic, prologue: try v.hex("resp_prologue"),
                                    initiation: initiator.initiation)
    #expect(responder.payload == (try messages[0].hex("payload")))
    #expect(responder.remoteStatic == initiatorStatic.publicKey)

    var reply: [UInt8] = []
    let responderResult = try responder.respond(
        ephemeral: X25519PrivateKey(secret: SecretBytes(copying: try v.hex("resp_ephemeral"))),
        payload: try messages[1].hex("payload"), message: &reply)
    #expect(reply == (try messages[1].hex("ciphertext")))

    let initiatorResult = try initiator.readResponse(reply, staticKey: initiatorStatic)
    #expect(initiatorResult.payload == (try messages[1].hex("payload")))
    if v["handshake_hash"] != nil {
        #expect(initiatorResult.keys.handshakeHash == (try v.hex("handshake_hash")))
    }
    #expect(responderResult.keys.handshakeHash == initiatorResult.keys.handshakeHash)

    try checkTransportMessages(messages, from: 2, initiator: initiatorResult, responder: responderResult)
}

@Suite("Noise IK against published vectors")
struct NoiseIKVectorTests {
    @Test("a published Noise_IK_25519_ChaChaPoly_BLAKE2b vector is reproduced byte for byte", arguments: [
        "cacophony-noise-IK_25519_ChaChaPoly_BLAKE2b",
        "snow-noise-IK_25519_ChaChaPoly_BLAKE2b",
        "noise-c-basic-noise-IK_25519_ChaChaPoly_BLAKE2b",
    ])
    func vector(file: String) throws {
        let doc = try Vectors.load(file, from: Bundle.module)
        let vectors = try Vectors.entries(doc, "vectors")
        #expect(!vectors.isEmpty)
        for v in vectors { try runVector(v) }
    }
}

@Suite("Noise IK refusals")
struct NoiseIKRefusalTests {
    /// The initiator's (seed 7) and the responder's (seed 8) static keys.
    private func key(_ seed: UInt64) -> X25519PrivateKey {
        var rng = SeededRandom(seed: seed)
        return X25519PrivateKey(random: &rng)
    }

    @Test("a flipped byte anywhere in the initiation is refused")
    func tamperedInitiation() throws {
        let i = key(7), r = key(8)
        var rng = SystemRandom()
        let initiator = try IKInitiator(staticKey: i, responderStatic: r.publicKey, prologue: [],
                                        ephemeral: X25519PrivateKey(random: &rng), payload: [1, 2, 3])
        for position in [0, 40, 90, initiator.initiation.count - 1] {
            var bad = initiator.initiation
            bad[position] ^= 0x01
            #expect(throws: NoiseError.self) { _ = try IKResponder(staticKey: r, prologue: [], initiation: bad) }
        }
    }

    @Test("an initiation for another responder is refused")
    func wrongResponder() throws {
        let i = key(7), r = key(8)
        var rng = SystemRandom()
        let other = X25519PrivateKey(random: &rng)
        let initiator = try IKInitiator(staticKey: i, responderStatic: r.publicKey, prologue: [],
                                        ephemeral: X25519PrivateKey(random: &rng), payload: [])
        #expect(throws: NoiseError.decryptionFailed) {
            _ = try IKResponder(staticKey: other, prologue: [], initiation: initiator.initiation)
        }
    }

    @Test("a different prologue makes the handshake fail")
    func prologueMismatch() throws {
        let i = key(7), r = key(8)
        var rng = SystemRandom()
        let initiator = try IKInitiator(staticKey: i, responderStatic: r.publicKey, prologue: [1],
                                        ephemeral: X25519PrivateKey(random: &rng), payload: [])
        #expect(throws: NoiseError.decryptionFailed) {
            _ = try IKResponder(staticKey: r, prologue: [2], initiation: initiator.initiation)
        }
    }

    @Test("short messages are refused as truncated", arguments: [0, 1, 95])
    func truncated(length: Int) throws {
        let r = key(8)
        #expect(throws: NoiseError.truncated) {
            _ = try IKResponder(staticKey: r, prologue: [], initiation: [UInt8](repeating: 0, count: length))
        }
    }

    @Test("a low-order ephemeral key is refused")
    func lowOrderEphemeral() throws {
        let r = key(8)
        // The all-zero point has order 1: X25519 with it yields zeros, which Noise must refuse.
        let message = [UInt8](repeating: 0, count: NoiseIK.initiationOverhead)
        #expect(throws: NoiseError.weakKey) { _ = try IKResponder(staticKey: r, prologue: [], initiation: message) }
    }

    @Test("a forged or tampered reply leaves the initiator able to read the genuine one")
    func forgedReplyLeavesInitiator() throws {
        let i = key(7), r = key(8)
        var rng = SystemRandom()
        let initiator = try IKInitiator(staticKey: i, responderStatic: r.publicKey, prologue: [],
                                        ephemeral: X25519PrivateKey(random: &rng), payload: [])
        let responder = try IKResponder(staticKey: r, prologue: [], initiation: initiator.initiation)
        var reply: [UInt8] = []
        let responderResult = try responder.respond(ephemeral: X25519PrivateKey(random: &rng), payload: [9], message: &reply)
        var tampered = reply
        tampered[reply.count - 1] ^= 0x80
        let forged = X25519PrivateKey(random: &rng).publicKey.bytes + [UInt8](repeating: 0x42, count: 17)
        for bad in [tampered, forged] {
            #expect(throws: NoiseError.decryptionFailed) { _ = try initiator.readResponse(bad, staticKey: i) }
        }
        let result = try initiator.readResponse(reply, staticKey: i)
        #expect(result.payload == [9])
        #expect(result.keys.handshakeHash == responderResult.keys.handshakeHash)
    }
}
