// LANBeacon(parsing:) and LANBeaconGate.accept: anyone on a node's LAN can send these bytes
// to the beacon group.
//
// Invariants:
// - A decoded beacon re-encodes to exactly the input bytes.
// - Its port is not 0 and its certificate is within LANBeacon.maxCertificateBytes.
// - The gate (fixture CA, arrival at the group with TTL 1, the clock at the beacon's own
//   time, so the fuzzer reaches the signature checks) believes a beacon only if its
//   certificate is one the fixture's CA issued and its signature is that certificate's key's;
//   and the same bytes a second time are refused as a replay.
import FuzzFixtures
import FuzzSupport
import WarrenCrypto
import WarrenNAT
import WarrenPKI
import WarrenWire

let net = FuzzNetwork.shared
let arrival = LANBeaconGate.Arrival(source: Endpoint("192.168.1.20:40000")!, destination: .v4(LANBeacon.group), hopLimit: 1)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let time = net.now.unixNanoseconds / 1_000_000
    Fuzz.writeSeedsIfRequested([
        ("alice", LANBeacon(port: 51820, unixMilliseconds: time, certificate: net.alice.encoded, signedBy: net.aliceKey()).encoded),
        ("carol-largest", LANBeacon(port: 65535, unixMilliseconds: time, certificate: net.carol.encoded, signedBy: net.carolKey()).encoded),
        ("copy-of-alice-signed-by-bob",
         LANBeacon(port: 51820, unixMilliseconds: time, certificate: net.alice.encoded, signedBy: net.bobKey()).encoded),
        ("mallory-other-ca",
         LANBeacon(port: 51820, unixMilliseconds: time, certificate: net.mallory.encoded, signedBy: net.malloryKey()).encoded),
        ("empty-certificate", LANBeacon(port: 1, unixMilliseconds: 0, certificate: [], signature: Array(repeating: 0, count: 64)).encoded),
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

    var gate = LANBeaconGate(authority: net.authority, ownKey: net.bob.publicKey)
    let now = Moment(instant: net.now.instant, unixNanoseconds: beacon.unixMilliseconds.multipliedReportingOverflow(by: 1_000_000).partialValue)
    guard let accepted = try? gate.accept(bytes, arrival: arrival, now: now) else { return 0 }
    let issued = [net.alice, net.carol, net.carolRekeyed]
    Fuzz.check(issued.contains(accepted.certificate), "believed a beacon with a certificate the CA never issued")
    Fuzz.check(beacon.isSigned(by: accepted.certificate.publicKey), "believed a beacon its certificate's key did not sign")
    Fuzz.check(accepted.endpoint == Endpoint(address: arrival.source.address, port: beacon.port), "endpoint \(accepted.endpoint)")
    do {
        _ = try gate.accept(bytes, arrival: arrival, now: now)
        Fuzz.check(false, "the same beacon was believed twice")
    } catch {
        Fuzz.check(error == .replayed, "a replay was refused as \(error)")
    }
    return 0
}
