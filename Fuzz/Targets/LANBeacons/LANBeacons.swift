// LANBeacon(parsing:): anyone on a node's LAN can send these bytes to its port.
//
// Invariants:
// - A decoded beacon re-encodes to exactly the input bytes.
// - Its port is not 0 and its certificate is within LANBeacon.maxCertificateBytes.
import FuzzSupport
import WarrenNAT

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfRequested([
        ("beacon", LANBeacon(port: 51820, certificate: Array("WRN1 certificate bytes".utf8)).encoded),
        ("empty-certificate", LANBeacon(port: 1, certificate: []).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let beacon = try? LANBeacon(parsing: bytes) else { return 0 }
    Fuzz.check(beacon.encoded == bytes, "beacon does not re-encode to its input")
    Fuzz.check(beacon.port != 0, "port 0 accepted")
    Fuzz.check(beacon.certificate.count <= LANBeacon.maxCertificateBytes, "certificate of \(beacon.certificate.count) bytes accepted")
    return 0
}
