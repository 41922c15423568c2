import Testing
import WarrenCrypto
import WarrenTestSupport
@testable import WarrenNoise

/// Checks a vector's messages after the handshake (those from index `first` on): transport
/// messages alternate, starting with the initiator, each direction's nonce from zero.
func checkTransportMessages(_ messages: [[String: Any]], from first: Int,
                            initiator: borrowing NoiseHandshakeResult, responder: borrowing NoiseHandshakeResult) throws {
    var nonces: [UInt64] = [0, 0]
    for (i, m) in messages.enumerated().dropFirst(first) {
        let fromInitiator = (i - first) % 2 == 0
        let direction = fromInitiator ? 0 : 1
        let nonce = ChaChaPoly.nonce(counter: nonces[direction])
        let sealed = fromInitiator
            ? ChaChaPoly.seal(key: initiator.keys.initiatorToResponder, nonce: nonce, aad: [], plaintext: try m.hex("payload"))
            : ChaChaPoly.seal(key: responder.keys.responderToInitiator, nonce: nonce, aad: [], plaintext: try m.hex("payload"))
        #expect(sealed == (try m.hex("ciphertext")), "transport message \(i)")
        nonces[direction] += 1
    }
}
