import Testing
import WarrenCrypto

/// Findings of the fuzz targets in Fuzz/ (run with `scripts/fuzz`), each kept as a test with
/// the input that found it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// The 32 bytes a fresh `SeededRandom(seed:)` produces first.
    func firstBytes(seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { random.fill($0) }
        return bytes
    }

    // CertificateDecoding, DataPathInbound, SessionHandshake (before any input): AddressSanitizer,
    // stack-use-after-return in SecretBytes.init(copying:) called from SigningKey.init(random:).
    // `SecretBytes(copying: seed.withUnsafeBytes { $0 })` lets the pointer escape the closure,
    // and Key32.withUnsafeBytes points it at a local copy in its own, returned, frame. The
    // key is made from whatever that stack holds then: a stack address and other leftovers
    // replace 8 (-Onone) or 16 (-O) of the 32 random bytes, and SeededRandom keys change
    // from run to run. Fixed: the key is now copied inside the closure.
    @Test("SigningKey(random:) derives the key from the random source's bytes")
    func signingKeyUsesRandomBytes() {
        var random = SeededRandom(seed: 1)
        let key = SigningKey(random: &random)
        let expected = SigningKey(seed: SecretBytes(copying: firstBytes(seed: 1)))
        let matches = key.publicKey == expected.publicKey
        #expect(matches)
    }

    // Same finding, X25519.swift: every handshake's ephemeral key is made this way.
    @Test("X25519PrivateKey(random:) derives the key from the random source's bytes")
    func x25519KeyUsesRandomBytes() {
        var random = SeededRandom(seed: 2)
        let key = X25519PrivateKey(random: &random)
        let expected = X25519PrivateKey(secret: SecretBytes(copying: firstBytes(seed: 2)))
        let matches = key.publicKey == expected.publicKey
        #expect(matches)
    }

    // PEMAndKeyText: "000102030405060708090a0bCharacte101112131415\u{FFFD}…" decoded as base64.
    // libsodium 1.0.18's sodium_base642bin reads every byte >= 0x80 as "/" (63), so text with
    // non-ASCII bytes decodes, and key texts are not canonical ("AAAA\u{FFFD}A" is EF BF BD
    // in UTF-8 and decodes as "AAAA///A" would). Fixed: Encoding.fromBase64 refuses
    // bytes >= 0x80 before calling libsodium.
    @Test("base64 text with bytes above 0x7f is rejected")
    func base64RejectsNonASCII() {
        #expect(Encoding.fromBase64("AAAA\u{FFFD}A") == nil)
        #expect(Encoding.fromBase64("AAAA////") == [0, 0, 0, 0xff, 0xff, 0xff])
    }
}
