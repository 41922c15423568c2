// HandshakeInitiation(parsing:) and HandshakeResponse(parsing:): the outer framing of the two
// handshake messages, the first bytes an unauthenticated sender controls.
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes (`encoded`, and
//   `bytesBeforeMAC + mac1`): nothing is dropped, added or normalised.
// - mac1 is 16 bytes; the Noise part is at least the minimum; the total is within the maximum.
// - No input is both an initiation and a response.
import FuzzSupport
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfRequested([
        ("initiation", HandshakeInitiation(senderIndex: 0x1122_3344, noise: [UInt8](repeating: 0xa5, count: 96 + 40),
                                           mac1: Array(0..<16)).encoded),
        ("response", HandshakeResponse(senderIndex: 7, receiverIndex: 0x1122_3344,
                                       noise: [UInt8](repeating: 0x5a, count: 48 + 40), mac1: Array(16..<32)).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let initiation = try? HandshakeInitiation(parsing: bytes)
    let response = try? HandshakeResponse(parsing: bytes)
    Fuzz.check(initiation == nil || response == nil, "input decodes as both an initiation and a response")

    if let m = initiation {
        Fuzz.check(m.encoded == bytes, "initiation does not re-encode to its input")
        Fuzz.check(m.bytesBeforeMAC + m.mac1 == bytes, "initiation mac1 does not cover everything before it")
        Fuzz.check(m.mac1.count == HandshakeInitiation.macByteCount, "initiation mac1 is \(m.mac1.count) bytes")
        Fuzz.check(m.noise.count >= HandshakeInitiation.minNoiseByteCount, "initiation noise is \(m.noise.count) bytes")
        Fuzz.check(bytes.count <= HandshakeInitiation.maxByteCount, "initiation of \(bytes.count) bytes accepted")
        Fuzz.check(bytes.withUnsafeBytes { MessageType.classify($0) } == .handshakeInitiation, "initiation classified otherwise")
    }
    if let m = response {
        Fuzz.check(m.encoded == bytes, "response does not re-encode to its input")
        Fuzz.check(m.bytesBeforeMAC + m.mac1 == bytes, "response mac1 does not cover everything before it")
        Fuzz.check(m.mac1.count == HandshakeResponse.macByteCount, "response mac1 is \(m.mac1.count) bytes")
        Fuzz.check(m.noise.count >= HandshakeResponse.minNoiseByteCount, "response noise is \(m.noise.count) bytes")
        Fuzz.check(bytes.count <= HandshakeResponse.maxByteCount, "response of \(bytes.count) bytes accepted")
        Fuzz.check(bytes.withUnsafeBytes { MessageType.classify($0) } == .handshakeResponse, "response classified otherwise")
    }
    return 0
}
