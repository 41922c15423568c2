import Foundation
import Testing
import WarrenCrypto
import WarrenTestSupport

@Suite("ChaCha20-Poly1305 (RFC 8439)")
struct ChaChaPolyTests {
    @Test("sealing and opening match RFC 8439 §2.8.2 and Appendix A.5")
    func vectors() throws {
        let doc = try Vectors.load("rfc8439-aead", from: Bundle.module)
        let cases = try Vectors.entries(doc, "aead")
        #expect(cases.count >= 2)
        for c in cases {
            let key = SecretBytes(copying: try c.hex("key"))
            let nonce = try #require(ChaChaPoly.nonce(bytes: try c.hex("nonce")))
            let sealed = ChaChaPoly.seal(key: key, nonce: nonce, aad: try c.hex("aad"), plaintext: try c.hex("plaintext"))
            #expect(sealed == (try c.hex("ciphertext")) + (try c.hex("tag")))
            let opened = try ChaChaPoly.open(key: key, nonce: nonce, aad: try c.hex("aad"), ciphertext: sealed)
            #expect(opened == (try c.hex("plaintext")))
        }
    }

    @Test("any flipped byte in ciphertext, tag or AAD fails authentication")
    func tamper() throws {
        let doc = try Vectors.load("rfc8439-aead", from: Bundle.module)
        let c = try Vectors.entries(doc, "aead")[0]
        let key = SecretBytes(copying: try c.hex("key"))
        let nonce = try #require(ChaChaPoly.nonce(bytes: try c.hex("nonce")))
        let sealed = (try c.hex("ciphertext")) + (try c.hex("tag"))
        for position in [0, sealed.count / 2, sealed.count - 1] {
            var bad = sealed
            bad[position] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed) {
                _ = try ChaChaPoly.open(key: key, nonce: nonce, aad: try c.hex("aad"), ciphertext: bad)
            }
        }
        var badAAD = try c.hex("aad")
        badAAD[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try ChaChaPoly.open(key: key, nonce: nonce, aad: badAAD, ciphertext: sealed)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            _ = try ChaChaPoly.open(key: key, nonce: nonce, aad: [], ciphertext: Array(sealed.prefix(15)))
        }
    }

    @Test("the counter nonce is 32 zero bits then the little-endian counter")
    func counterNonce() {
        var n = ChaChaPoly.nonce(counter: 0x0102030405060708)
        let bytes = withUnsafeBytes(of: &n) { Array($0) }
        #expect(bytes == [0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
    }
}

@Suite("BLAKE2b (RFC 7693) and Noise's HMAC/HKDF")
struct Blake2bTests {
    @Test("digests match the published vectors")
    func vectors() throws {
        let doc = try Vectors.load("rfc7693-blake2b", from: Bundle.module)
        for c in try Vectors.entries(doc, "vectors") {
            let expected = try c.hex("hash")
            #expect(Blake2b.hash(try c.hex("input"), key: try c.hex("key"), outputCount: expected.count) == expected)
        }
    }

    @Test("HMAC-BLAKE2b follows RFC 2104 with a 128-byte block")
    func hmacConstruction() {
        let key: [UInt8] = Array(repeating: 0x0b, count: 20)
        let message: [UInt8] = Array("Hi There".utf8)
        let padded = key + [UInt8](repeating: 0, count: 128 - key.count)
        let inner = Blake2b.hash(padded.map { $0 ^ 0x36 } + message)
        let expected = Blake2b.hash(padded.map { $0 ^ 0x5c } + inner)
        #expect(Blake2b.hmac(key: key, message) == expected)
        // A key longer than a block is hashed first.
        let longKey = [UInt8](repeating: 0xaa, count: 131)
        #expect(Blake2b.hmac(key: longKey, message) == Blake2b.hmac(key: Blake2b.hash(longKey), message))
    }
}

@Suite("Encodings and secrets")
struct EncodingTests {
    @Test("base64 round-trips and rejects garbage")
    func base64() {
        let bytes: [UInt8] = (0..<32).map { UInt8($0 * 7 & 0xff) }
        let text = Encoding.base64(bytes)
        #expect(text.count == 44)
        #expect(Encoding.fromBase64(text) == bytes)
        #expect(Encoding.fromBase64(text + "!") == nil)
        #expect(Encoding.fromBase64("not base64 at all") == nil)
    }

    @Test("hex round-trips and rejects odd or non-hex input")
    func hex() {
        #expect(Encoding.hex([0x00, 0xab, 0xff]) == "00abff")
        #expect(Encoding.fromHex("00ABff") == [0x00, 0xab, 0xff])
        #expect(Encoding.fromHex("abc") == nil)
        #expect(Encoding.fromHex("zz") == nil)
    }

    @Test("constant-time comparison tells equal from unequal and different lengths")
    func constantTime() {
        let a = Key32(bytes: [UInt8](repeating: 1, count: 32))!
        var b = a
        #expect(a.constantTimeEquals(b))
        b.withUnsafeMutableBytes { $0[31] = 2 }
        #expect(!a.constantTimeEquals(b))
        [UInt8(1)].withUnsafeBytes { x in [UInt8(1), 2].withUnsafeBytes { y in #expect(!constantTimeEquals(x, y)) } }
    }

    @Test("seeded randomness replays; system randomness does not repeat")
    func randomness() {
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9)
        #expect(a.next(UInt64.self) == b.next(UInt64.self))
        #expect(a.next(UInt64.self) != a.next(UInt64.self))
        var s = SystemRandom()
        #expect(s.next(UInt64.self) != s.next(UInt64.self))
        #expect(s.next(below: 10) < 10)
    }
}
