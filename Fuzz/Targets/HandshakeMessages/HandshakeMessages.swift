// HandshakeInitiation(parsing:), HandshakeResponse(parsing:) and CookieReply(parsing:): the
// outer framing of the handshake messages, the first bytes an unauthenticated sender controls.
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes (`encoded`, and
//   `bytesBeforeMAC2 + mac2` = `bytesBeforeMAC + mac1 + mac2`): nothing is dropped, added or
//   normalised.
// - mac1 and mac2 are 16 bytes; the Noise part is at least the minimum; the total is within
//   the maximum. A cookie reply is exactly 64 bytes.
// - No input decodes as two kinds of message.
import FuzzSupport
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfRequested([
        ("initiation", HandshakeInitiation(senderIndex: 0x1122_3344, noise: [UInt8](repeating: 0xa5, count: 96 + 40),
                                           mac1: Array(0..<16)).encoded),
        ("response", HandshakeResponse(senderIndex: 7, receiverIndex: 0x1122_3344,
                                       noise: [UInt8](repeating: 0x5a, count: 48 + 40), mac1: Array(16..<32),
                                       mac2: Array(32..<48)).encoded),
        ("cookie-reply", CookieReply(receiverIndex: 0x1122_3344, nonce: Array(0..<24), encryptedCookie: Array(24..<56)).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let initiation = try? HandshakeInitiation(parsing: bytes)
    let response = try? HandshakeResponse(parsing: bytes)
    let cookie = try? CookieReply(parsing: bytes)
    Fuzz.check([initiation != nil, response != nil, cookie != nil].count { $0 } <= 1, "input decodes as two kinds of message")

    if let m = initiation {
        Fuzz.check(m.encoded == bytes, "initiation does not re-encode to its input")
        Fuzz.check(m.bytesBeforeMAC + m.mac1 + m.mac2 == bytes && m.bytesBeforeMAC2 + m.mac2 == bytes,
                   "initiation MACs do not cover everything before them")
        Fuzz.check(m.mac1.count == HandshakeInitiation.macByteCount && m.mac2.count == HandshakeInitiation.macByteCount,
                   "initiation MACs are \(m.mac1.count) and \(m.mac2.count) bytes")
        Fuzz.check(m.noise.count >= HandshakeInitiation.minNoiseByteCount, "initiation noise is \(m.noise.count) bytes")
        Fuzz.check(bytes.count <= HandshakeInitiation.maxByteCount, "initiation of \(bytes.count) bytes accepted")
        Fuzz.check(bytes.withUnsafeBytes { MessageType.classify($0) } == .handshakeInitiation, "initiation classified otherwise")
    }
    if let m = response {
        Fuzz.check(m.encoded == bytes, "response does not re-encode to its input")
        Fuzz.check(m.bytesBeforeMAC + m.mac1 + m.mac2 == bytes && m.bytesBeforeMAC2 + m.mac2 == bytes,
                   "response MACs do not cover everything before them")
        Fuzz.check(m.mac1.count == HandshakeResponse.macByteCount && m.mac2.count == HandshakeResponse.macByteCount,
                   "response MACs are \(m.mac1.count) and \(m.mac2.count) bytes")
        Fuzz.check(m.noise.count >= HandshakeResponse.minNoiseByteCount, "response noise is \(m.noise.count) bytes")
        Fuzz.check(bytes.count <= HandshakeResponse.maxByteCount, "response of \(bytes.count) bytes accepted")
        Fuzz.check(bytes.withUnsafeBytes { MessageType.classify($0) } == .handshakeResponse, "response classified otherwise")
    }
    if let m = cookie {
        Fuzz.check(m.encoded == bytes && bytes.count == CookieReply.byteCount, "cookie reply does not re-encode to its input")
        Fuzz.check(bytes.withUnsafeBytes { MessageType.classify($0) } == .cookieReply, "cookie reply classified otherwise")
    }
    return 0
}
