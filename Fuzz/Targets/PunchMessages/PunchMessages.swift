// PunchMessage(parsing:): control messages any member can send inside a session, to a
// rendezvous node (a request) or to the node it names (a notice).
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes.
// - It names at most PunchMessage.maxCandidates candidates.
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
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let message = try? PunchMessage(parsing: bytes) else { return 0 }
    Fuzz.check(message.encoded == bytes, "message does not re-encode to its input")
    Fuzz.check(message.candidates.count <= PunchMessage.maxCandidates, "\(message.candidates.count) candidates accepted")
    return 0
}
