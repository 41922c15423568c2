import Foundation
import Testing
import WarrenCrypto
import WarrenTestSupport

@Suite("X25519 (RFC 7748)")
struct X25519Tests {
    @Test("scalar multiplication matches RFC 7748 §5.2")
    func scalarMult() throws {
        let doc = try Vectors.load("rfc7748-x25519", from: Bundle.module)
        let cases = try Vectors.entries(doc, "scalarmult")
        #expect(cases.count >= 2)
        for c in cases {
            let key = X25519PrivateKey(secret: SecretBytes(copying: try c.hex("scalar")))
            let shared = try key.sharedSecret(with: Key32(bytes: try c.hex("u"))!)
            shared.withUnsafeBytes { #expect(Array($0) == (try? c.hex("output"))) }
        }
    }

    @Test("Diffie-Hellman matches RFC 7748 §6.1 from both sides")
    func diffieHellman() throws {
        let doc = try Vectors.load("rfc7748-x25519", from: Bundle.module)
        for c in try Vectors.entries(doc, "dh") {
            let alice = X25519PrivateKey(secret: SecretBytes(copying: try c.hex("alicePrivate")))
            let bob = X25519PrivateKey(secret: SecretBytes(copying: try c.hex("bobPrivate")))
            #expect(alice.publicKey.bytes == (try c.hex("alicePublic")))
            #expect(bob.publicKey.bytes == (try c.hex("bobPublic")))
            let k1 = try alice.sharedSecret(with: bob.publicKey)
            let k2 = try bob.sharedSecret(with: alice.publicKey)
            k1.withUnsafeBytes { a in k2.withUnsafeBytes { b in
                #expect(Array(a) == (try? c.hex("shared")))
                #expect(Array(a) == Array(b))
            } }
        }
    }

    @Test("a low-order public key is refused instead of yielding zeros")
    func lowOrder() throws {
        var rng = SeededRandom(seed: 1)
        let key = X25519PrivateKey(random: &rng)
        #expect(throws: CryptoError.weakPublicKey) { _ = try key.sharedSecret(with: .zero) }
    }
}

@Suite("Ed25519 (RFC 8032)")
struct Ed25519Tests {
    @Test("keys and signatures match RFC 8032 §7.1")
    func vectors() throws {
        let doc = try Vectors.load("rfc8032-ed25519", from: Bundle.module)
        let cases = try Vectors.entries(doc, "vectors")
        #expect(cases.count >= 3)
        for c in cases {
            let key = SigningKey(seed: SecretBytes(copying: try c.hex("secret")))
            #expect(key.publicKey.bytes == (try c.hex("public")))
            let signature = key.sign(try c.hex("message"))
            #expect(signature == (try c.hex("signature")))
            #expect(Ed25519.verify(signature: signature, message: try c.hex("message"), publicKey: key.publicKey))
        }
    }

    @Test("a flipped bit in message or signature fails verification")
    func tamper() throws {
        var rng = SeededRandom(seed: 2)
        let key = SigningKey(random: &rng)
        let message: [UInt8] = Array("warren".utf8)
        var signature = key.sign(message)
        #expect(!Ed25519.verify(signature: signature, message: Array("warrem".utf8), publicKey: key.publicKey))
        signature[10] ^= 1
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: Array(signature.prefix(63)), message: message, publicKey: key.publicKey))
    }

    @Test("the converted X25519 key pair agrees with the converted public key")
    func conversion() throws {
        var rng = SeededRandom(seed: 3)
        let a = SigningKey(random: &rng), b = SigningKey(random: &rng)
        let ax = a.x25519(), bx = b.x25519()
        #expect(Ed25519.x25519PublicKey(from: a.publicKey) == ax.publicKey)
        let k1 = try ax.sharedSecret(with: Ed25519.x25519PublicKey(from: b.publicKey)!)
        let k2 = try bx.sharedSecret(with: ax.publicKey)
        k1.withUnsafeBytes { x in k2.withUnsafeBytes { y in #expect(Array(x) == Array(y)) } }
    }

    @Test("a seed round-trips through the key")
    func seedRoundTrip() {
        var rng = SeededRandom(seed: 4)
        let a = SigningKey(random: &rng)
        let b = SigningKey(seed: a.seed())
        #expect(a.publicKey == b.publicKey)
    }
}
