// Text armour read from files: PEM.decode (certificates), KeyText.parsePublicKey and
// parsePrivateKey (key files, config), and the hex and base64 decoders underneath.
//
// Invariants:
// - PEM: decode(encode(decode(s))) == decode(s).
// - Keys: a parsed key prints back as the trimmed input (base64 is canonical, so no two
//   texts name one key), and parses again to the same key.
// - Encoding.fromHex / fromBase64: re-encoding gives the input (hex in lower case).
//
// Found here: libsodium 1.0.18's base64 decoder reads every byte >= 0x80 as "/", so
// Encoding.fromBase64 accepted non-ASCII text (fixed in 91ded97; regression test in
// Tests/WarrenCryptoTests/FuzzRegressionTests.swift).
import FuzzSupport
import WarrenCrypto
import WarrenPKI

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let key = SigningKey(seed: SecretBytes(copying: (0..<32).map { UInt8($0 * 7) }))
    Fuzz.writeSeedsIfRequested([
        ("pem", Array(PEM.encode(Array(0..<100)).utf8)),
        ("private-key", Array(KeyText.privateKey(key).utf8)),
        ("public-key", Array((KeyText.publicKey(key.publicKey) + "\n").utf8)),
        ("hex", Array(Encoding.hex(Array(0..<32)).utf8)),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = Fuzz.text(data, size)
    let trimmed = String(Substring(text).drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())

    if let bytes = PEM.decode(text) {
        Fuzz.check(PEM.decode(PEM.encode(bytes)) == bytes, "PEM of \(bytes.count) bytes does not round-trip")
    }
    if let key = KeyText.parsePublicKey(text) {
        Fuzz.check(KeyText.publicKey(key) == trimmed, "public key \(trimmed.debugDescription) printed as \(KeyText.publicKey(key))")
        Fuzz.check(KeyText.parsePublicKey(KeyText.publicKey(key)) == key, "public key does not read back")
    }
    if let key = KeyText.parsePrivateKey(text) {
        let printed = KeyText.privateKey(key)
        Fuzz.check(printed == trimmed + "\n", "private key text is not canonical")
        Fuzz.check(KeyText.parsePrivateKey(printed)?.publicKey == key.publicKey, "private key does not read back")
    }
    if let bytes = Encoding.fromHex(text) {
        Fuzz.check(Encoding.hex(bytes) == text.lowercased(), "hex \(text.debugDescription) re-encodes differently")
    }
    if let bytes = Encoding.fromBase64(text) {
        Fuzz.check(Encoding.base64(bytes) == text, "base64 \(text.debugDescription) re-encodes as \(Encoding.base64(bytes))")
    }
    return 0
}
