// UncheckedCertificate(parsing:): a certificate from a file or, inside a handshake, from
// anyone who can reach the UDP port with a key of their own.
//
// Invariants:
// - A decoded certificate re-encodes (CertificateBody.encode ‖ signature) to exactly the
//   input bytes, and `encoded` is the input: what is signed, fingerprinted and re-sent is
//   what was received.
// - Decoded fields respect the format's limits (name, validity order, roles, subnet count,
//   prefix lengths).
// - Verification accepts only certificates the fixture CA really issued: a fuzzer cannot
//   sign, so anything else accepted is a forgery.
import FuzzFixtures
import FuzzSupport
import WarrenCrypto
import WarrenPKI
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let net = FuzzNetwork.shared
    Fuzz.writeSeedsIfRequested([("authority", net.issued[0]), ("alice", net.issued[1]), ("bob", net.issued[2]),
                                ("relay-family-capacity", relayWithClass())])
    return 0
}

/// A version 2 certificate (family and capacity class), from a CA of its own: it decodes but
/// must never verify against the fixture's CA.
func relayWithClass() -> [UInt8] {
    var rng = SeededRandom(seed: 77)
    let ca = try! CertificateAuthority.create(name: "relays", key: FuzzNetwork.signingKey(&rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                              notBefore: 0, notAfter: 4_000_000_000)
    return try! ca.sign(name: "relay", publicKey: FuzzNetwork.signingKey(&rng).publicKey, ipv4: IPPrefix("10.8.0.7/16")!,
                        roles: [.relay], subnets: [], family: "acme", capacity: 3, notBefore: 0, notAfter: 4_000_000_000).encoded
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let cert = try? UncheckedCertificate(parsing: bytes) else { return 0 }
    let net = FuzzNetwork.shared
    let body = cert.body

    var w = WireWriter(capacity: bytes.count)
    body.encode(into: &w)
    w.write(bytes: cert.signature)
    Fuzz.check(w.bytes == bytes, "certificate does not re-encode to its input")
    Fuzz.check(cert.encoded == bytes, "certificate keeps other bytes than it received")
    Fuzz.check((try? UncheckedCertificate(parsing: w.bytes)) == cert, "re-encoded certificate decodes differently")

    Fuzz.check(cert.signature.count == SigningKey.signatureByteCount, "signature of \(cert.signature.count) bytes")
    Fuzz.check(CertificateBody.isValidName(body.name), "name \(body.name.debugDescription) accepted")
    Fuzz.check(body.notBefore < body.notAfter, "validity \(body.notBefore)..<\(body.notAfter) accepted")
    Fuzz.check(Roles.known.isSuperset(of: body.roles), "roles \(body.roles.rawValue) accepted")
    Fuzz.check(body.subnets.count <= 32, "\(body.subnets.count) subnets accepted")
    for p in [body.ipv4, body.ipv6] + body.subnets {
        Fuzz.check(IPPrefix(address: p.address, length: p.length) == p, "prefix \(p) out of range")
    }
    Fuzz.check(cert.fingerprint.utf8.count == 64, "fingerprint \(cert.fingerprint)")

    if let verified = try? cert.verify(authority: net.authority, atUnixTime: net.now.unixSeconds) {
        Fuzz.check(net.issued.contains(bytes), "a certificate the CA never issued verified: \(Encoding.hex(bytes))")
        Fuzz.check(verified.owns(body.ipv4.address) && verified.owns(body.ipv6.address),
                   "a verified certificate does not own its own addresses")
    }
    if (try? cert.verifyAuthority(atUnixTime: net.now.unixSeconds)) != nil {
        Fuzz.check(bytes == net.authority.unchecked.encoded, "a self-signed CA certificate verified: \(Encoding.hex(bytes))")
    }
    return 0
}
