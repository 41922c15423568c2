// The NAT-traversal control messages any member can send inside a session: punch requests
// and notices (PunchMessage), and `warren ping`'s probes (PathProbe).
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes.
// - A punch message names at most PunchMessage.maxCandidates candidates.
// - No input decodes as both kinds: their first bytes differ.
import FuzzSupport
import WarrenCrypto
import WarrenNAT
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let key = Key32(bytes: Array(1...32))!
    Fuzz.writeSeedsIfRequested([
        ("request", PunchMessage(kind: .request, peer: key, candidates: [Endpoint("192.0.2.1:40001")!]).encoded),
        ("notice", PunchMessage(kind: .notice, peer: key,
                                candidates: [Endpoint("198.51.100.2:51820")!, Endpoint("[2001:db8::2]:51820")!]).encoded),
        ("empty", PunchMessage(kind: .notice, peer: key, candidates: []).encoded),
        ("probe", PathProbe(kind: .request, id: 7).encoded),
        ("probe-reply", PathProbe(kind: .reply, id: 0xFFFF_FFFF).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let punch = try? PunchMessage(parsing: bytes)
    let probe = try? PathProbe(parsing: bytes)
    Fuzz.check(punch == nil || probe == nil, "one input decoded as both a punch message and a probe")
    if let punch {
        Fuzz.check(punch.encoded == bytes, "punch message does not re-encode to its input")
        Fuzz.check(punch.candidates.count <= PunchMessage.maxCandidates, "\(punch.candidates.count) candidates accepted")
    }
    if let probe { Fuzz.check(probe.encoded == bytes, "probe does not re-encode to its input") }
    return 0
}
