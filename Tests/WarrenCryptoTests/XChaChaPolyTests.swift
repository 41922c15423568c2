import Foundation
import Testing
import WarrenCrypto
import WarrenTestSupport

@Suite("XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha)")
struct XChaChaPolyTests {
    @Test("sealing and opening match the draft's Appendix A.3.1")
    func vectors() throws {
        let doc = try Vectors.load("draft-irtf-cfrg-xchacha-aead", from: Bundle.module)
        let cases = try Vectors.entries(doc, "aead")
        #expect(cases.count == 1)
        for c in cases {
            let sealed = XChaChaPoly.seal(key: try c.hex("key"), nonce: try c.hex("nonce"), aad: try c.hex("aad"),
                                          plaintext: try c.hex("plaintext"))
            #expect(sealed == (try c.hex("ciphertext")) + (try c.hex("tag")))
            let opened = try XChaChaPoly.open(key: try c.hex("key"), nonce: try c.hex("nonce"), aad: try c.hex("aad"),
                                              ciphertext: sealed)
            #expect(opened == (try c.hex("plaintext")))
        }
    }

    @Test("a flipped byte in ciphertext, tag, nonce or AAD fails authentication")
    func tamper() throws {
        let c = try Vectors.entries(try Vectors.load("draft-irtf-cfrg-xchacha-aead", from: Bundle.module), "aead")[0]
        let key = try c.hex("key"), nonce = try c.hex("nonce"), aad = try c.hex("aad")
        let sealed = (try c.hex("ciphertext")) + (try c.hex("tag"))
        var variants: [(nonce: [UInt8], aad: [UInt8], sealed: [UInt8])] = []
        for position in [0, sealed.count - 1] {
            var bad = sealed
            bad[position] ^= 0x80
            variants.append((nonce, aad, bad))
        }
        var badNonce = nonce
        badNonce[23] ^= 1
        var badAAD = aad
        badAAD[0] ^= 1
        variants += [(badNonce, aad, sealed), (nonce, badAAD, sealed), (nonce, aad, Array(sealed.prefix(15)))]
        for v in variants {
            #expect(throws: CryptoError.authenticationFailed) {
                _ = try XChaChaPoly.open(key: key, nonce: v.nonce, aad: v.aad, ciphertext: v.sealed)
            }
        }
    }
}
