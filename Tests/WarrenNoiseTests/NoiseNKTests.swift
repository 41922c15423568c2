import Foundation
import Testing
import WarrenCrypto
import WarrenTestSupport
@testable import WarrenNoise

/// Runs both sides of Noise NK with the fixed keys of a published vector and checks every
/// message byte for byte, the handshake hash, and the transport messages after Split().
private func runVector(_ v: [String: Any]) throws {
    let responderStatic = X25519PrivateKey(secret: SecretBytes(copying: try v.hex("resp_static")))
    let messages = try Vectors.entries(v, "messages")
    #expect(Key32(bytes: try v.hex("init_remote_static")) == responderStatic.publicKey)

    let initiator = try NKInitiator(
        responderStatic: responderStatic.publicKey, prologue: try v.hex("init_prologue"),
        ephemeral: X25519PrivateKey(secret: SecretBytes(copying: try v.hex("init_ephemeral"))),
        payload: try messages[0].hex("payload"))
    #expect(initiator.request == (try messages[0].hex("ciphertext")))

    let responder = try NKResponder(staticKey: responderStatic, prologue: try v.hex("resp_prologue"), request: initiator.request)
    #expect(responder.payload == (try messages[0].hex("payload")))

    var reply: [UInt8] = []
    let responderResult = try responder.respond(
        ephemeral: X25519PrivateKey(secret: SecretBytes(copying: try v.hex("resp_ephemeral"))),
        payload: try messages[1].hex("payload"), message: &reply)
    #expect(reply == (try messages[1].hex("ciphertext")))

    let initiatorResult = try initiator.readResponse(reply)
    #expect(initiatorResult.payload == (try messages[1].hex("payload")))
    if v["handshake_hash"] != nil {
        #expect(initiatorResult.keys.handshakeHash == (try v.hex("handshake_hash")))
    }
    #expect(responderResult.keys.handshakeHash == initiatorResult.keys.handshakeHash)

    try checkTransportMessages(messages, from: 2, initiator: initiatorResult, responder: responderResult)
}

@Suite("Noise NK against published vectors")
struct NoiseNKVectorTests {
    @Test("a published Noise_NK_25519_ChaChaPoly_BLAKE2b vector is reproduced byte for byte", arguments: [
        "cacophony-noise-NK_25519_ChaChaPoly_BLAKE2b",
        "snow-noise-NK_25519_ChaChaPoly_BLAKE2b",
    ])
    func vector(file: String) throws {
        let doc = try Vectors.load(file, from: Bundle.module)
        let vectors = try Vectors.entries(doc, "vectors")
        #expect(!vectors.isEmpty)
        for v in vectors { try runVector(v) }
    }
}

@Suite("Noise NK refusals")
struct NoiseNKRefusalTests {
    private func key(_ seed: UInt64) -> X25519PrivateKey {
        var rng = SeededRandom(seed: seed)
        return X25519PrivateKey(random: &rng)
    }

    private func request(to responder: Key32, seed: UInt64 = 9) throws -> [UInt8] {
        try NKInitiator(responderStatic: responder, prologue: [1], ephemeral: key(seed), payload: [7, 7]).request
    }

    @Test("a flipped byte anywhere in the request is refused")
    func tamperedRequest() throws {
        let responder = key(8)
        let request = try request(to: responder.publicKey)
        _ = try NKResponder(staticKey: responder, prologue: [1], request: request)
        for i in request.indices {
            var bad = request
            bad[i] ^= 0x01
            #expect(throws: NoiseError.self, "byte \(i)") { try NKResponder(staticKey: responder, prologue: [1], request: bad) }
        }
    }

    @Test("a request for another onion key, or with another prologue, is refused")
    func wrongKeyOrPrologue() throws {
        let request = try request(to: key(8).publicKey)
        #expect(throws: NoiseError.self) { try NKResponder(staticKey: key(10), prologue: [1], request: request) }
        #expect(throws: NoiseError.self) { try NKResponder(staticKey: key(8), prologue: [2], request: request) }
    }

    @Test("a reply from anyone without the onion key, or tampered, is refused")
    func forgedReply() throws {
        let responder = key(8)
        let initiator = { try NKInitiator(responderStatic: responder.publicKey, prologue: [1], ephemeral: self.key(9), payload: [7, 7]) }
        // A hop holding another onion key answers the same sender's ephemeral key.
        var forged: [UInt8] = []
        let other = key(10)
        let requestToOther = try NKInitiator(responderStatic: other.publicKey, prologue: [1], ephemeral: key(9), payload: [7, 7]).request
        _ = try NKResponder(staticKey: other, prologue: [1], request: requestToOther).respond(ephemeral: key(11), payload: [3], message: &forged)
        #expect(throws: NoiseError.self) { try initiator().readResponse(forged) }

        var reply: [UInt8] = []
        _ = try NKResponder(staticKey: responder, prologue: [1], request: try initiator().request)
            .respond(ephemeral: key(12), payload: [3], message: &reply)
        for i in reply.indices {
            var bad = reply
            bad[i] ^= 0x80
            #expect(throws: NoiseError.self, "byte \(i)") { try initiator().readResponse(bad) }
        }
        #expect(try initiator().readResponse(reply).payload == [3])
    }

    @Test("short messages are refused as truncated")
    func truncated() throws {
        let responder = key(8)
        #expect(throws: NoiseError.truncated) { try NKResponder(staticKey: responder, prologue: [], request: [UInt8](repeating: 9, count: 47)) }
        #expect(throws: NoiseError.truncated) {
            try NKInitiator(responderStatic: responder.publicKey, prologue: [], ephemeral: self.key(9), payload: [])
                .readResponse([UInt8](repeating: 9, count: 47))
        }
    }
}
