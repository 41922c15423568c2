// HandshakePayload(parsing:): what a peer sends inside the encrypted Noise payload. Any holder
// of a key the responder will talk to controls these bytes completely.
//
// Invariants:
// - A decoded payload re-encodes to exactly the input bytes.
// - Nanoseconds are below one second; the certificate is within its maximum size.
// - isNewer(than:) is a strict order: never newer than itself, and of two different
//   timestamps exactly one is newer.
import FuzzSupport
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfRequested([
        ("initiator", HandshakePayload(timestampSeconds: 1_700_000_000, timestampNanoseconds: 123_456_789,
                                       certificate: Array("WRN1 certificate bytes".utf8)).encoded),
        ("responder", HandshakePayload(timestampSeconds: 0, timestampNanoseconds: 0, certificate: []).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let payload = try? HandshakePayload(parsing: bytes) else { return 0 }
    Fuzz.check(payload.encoded == bytes, "payload does not re-encode to its input")
    Fuzz.check(payload.timestampNanoseconds < 1_000_000_000, "nanoseconds \(payload.timestampNanoseconds) accepted")
    Fuzz.check(payload.certificate.count <= HandshakePayload.maxCertificateBytes,
               "certificate of \(payload.certificate.count) bytes accepted")
    Fuzz.check(!payload.isNewer(than: payload), "payload is newer than itself")
    Fuzz.check(payload.isNewer(than: nil), "payload is not newer than nothing")
    var later = payload
    if later.timestampNanoseconds < 999_999_999 {
        later.timestampNanoseconds += 1
    } else if later.timestampSeconds < .max {
        later.timestampSeconds += 1
        later.timestampNanoseconds = 0
    } else {
        return 0
    }
    Fuzz.check(later.isNewer(than: payload) && !payload.isNewer(than: later), "timestamp order is not strict")
    return 0
}
