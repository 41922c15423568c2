// The NAT-traversal control messages any member can send inside a session: punch requests
// and notices (PunchMessage), path probes (PathProbe), and relay requests and bindings
// (RelayMessage).
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes.
// - A punch message's record is within PunchMessage.maxRecordBytes; a request names no
//   seen endpoint.
// - A relay binding never names channel 0 (which means "direct").
// - No input decodes as two kinds: their first bytes differ.
import FuzzSupport
import WarrenCrypto
import WarrenNAT
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let key = Key32(bytes: Array(1...32))!
    Fuzz.writeSeedsIfRequested([
        ("request", PunchMessage(kind: .request, peer: key, record: Array("signed record bytes".utf8)).encoded),
        ("notice", PunchMessage(kind: .notice, peer: key, seen: Endpoint("198.51.100.2:51820")!,
                                record: Array("signed record bytes".utf8)).encoded),
        ("notice-back", PunchMessage(kind: .notice, peer: key, seen: Endpoint("[2001:db8::2]:51820")!).encoded),
        ("empty", PunchMessage(kind: .notice, peer: key).encoded),
        ("probe", PathProbe(kind: .request, id: 7).encoded),
        ("probe-reply", PathProbe(kind: .reply, id: 0xFFFF_FFFF).encoded),
        ("relay-request", RelayMessage(kind: .request, peer: key).encoded),
        ("relay-bound", RelayMessage(kind: .bound(channel: 0xA1B2_C3D4), peer: key).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    let punch = try? PunchMessage(parsing: bytes)
    let probe = try? PathProbe(parsing: bytes)
    let relay = try? RelayMessage(parsing: bytes)
    Fuzz.check([punch != nil, probe != nil, relay != nil].filter { $0 }.count <= 1, "one input decoded as two kinds")
    if let punch {
        Fuzz.check(punch.encoded == bytes, "punch message does not re-encode to its input")
        Fuzz.check(punch.record.count <= PunchMessage.maxRecordBytes, "record of \(punch.record.count) bytes accepted")
        Fuzz.check(punch.kind == .notice || punch.seen == nil, "request with a seen endpoint accepted")
    }
    if let probe { Fuzz.check(probe.encoded == bytes, "probe does not re-encode to its input") }
    if let relay {
        Fuzz.check(relay.encoded == bytes, "relay message does not re-encode to its input")
        Fuzz.check(relay.kind != .bound(channel: 0), "relay channel 0 accepted")
    }
    return 0
}
