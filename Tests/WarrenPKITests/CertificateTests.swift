import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenPKI

/// A CA valid from t=1000 to t=1_000_000 over 10.8.0.0/16, and helpers to issue node certs.
struct Fixture: ~Copyable {
    let ca: CertificateAuthority
    var rng = SeededRandom(seed: 42)

    init(seed: UInt64 = 42) {
        var rng = SeededRandom(seed: seed)
        ca = try! CertificateAuthority.create(name: "mynet", key: SigningKey(random: &rng),
                                              ipv4Network: IPPrefix("10.8.0.0/16")!, notBefore: 1000, notAfter: 1_000_000)
        self.rng = rng
    }

    mutating func node(_ name: String = "alice", ip: String = "10.8.0.1/16", notBefore: UInt64 = 1000,
                       notAfter: UInt64 = 500_000) throws -> Certificate {
        let key = SigningKey(random: &rng)
        return try ca.sign(name: name, publicKey: key.publicKey, ipv4: IPPrefix(ip)!, roles: [.relay],
                           subnets: [IPPrefix("192.168.50.0/24")!], notBefore: notBefore, notAfter: notAfter)
    }
}

@Suite("Certificates")
struct CertificateTests {
    @Test("a signed certificate round-trips through its encoding and PEM and verifies")
    func roundTrip() throws {
        var f = Fixture()
        let cert = try f.node()
        let pem = PEM.encode(cert.encoded)
        let parsed = try UncheckedCertificate(parsing: try #require(PEM.decode(pem)))
        let verified = try parsed.verify(authority: f.ca.certificate, atUnixTime: 2000)
        #expect(verified == cert)
        #expect(verified.body.roles == [.relay])
        #expect(verified.name == "alice")
    }

    @Test("a relay's family and capacity class make a version 2 body; without them it stays version 1")
    func relayClass() throws {
        var f = Fixture()
        let plain = try f.node()
        #expect(plain.body.encodedVersion == 1 && plain.body.family == nil && plain.body.capacity == 1)
        let key = SigningKey(random: &f.rng)
        let relay = try f.ca.sign(name: "r1", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.9/16")!, roles: [.relay], subnets: [],
                                  family: "acme", capacity: 4, notBefore: 1000, notAfter: 500_000)
        #expect(relay.body.encodedVersion == 2)
        let parsed = try UncheckedCertificate(parsing: relay.encoded).verify(authority: f.ca.certificate, atUnixTime: 2000)
        #expect(parsed.body.family == "acme" && parsed.body.capacity == 4)
        let capacityOnly = try f.ca.sign(name: "r2", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.10/16")!, roles: [.relay],
                                         subnets: [], capacity: 2, notBefore: 1000, notAfter: 500_000)
        #expect(try UncheckedCertificate(parsing: capacityOnly.encoded).body.family == nil)

        #expect(throws: CertificateError.self) {
            try f.ca.sign(name: "r3", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.11/16")!, roles: [], subnets: [],
                          family: "Not Valid", notBefore: 1000, notAfter: 500_000)
        }
        #expect(throws: CertificateError.self) {
            try f.ca.sign(name: "r3", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.11/16")!, roles: [], subnets: [],
                          capacity: 0, notBefore: 1000, notAfter: 500_000)
        }
    }

    @Test("a version 2 body must carry a family or a capacity other than 1, and a valid family name")
    func relayClassDecoding() throws {
        var f = Fixture()
        let key = SigningKey(random: &f.rng)
        let relay = try f.ca.sign(name: "r1", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.9/16")!, roles: [.relay], subnets: [],
                                  family: "acme", capacity: 4, notBefore: 1000, notAfter: 500_000)
        var w = WireWriter()
        relay.body.encode(into: &w)
        // The last 6 bytes: len(1) "acme" capacity(1).
        let head = Array(w.bytes.prefix(w.bytes.count - 6))
        let cases: [([UInt8], String)] = [
            (head + [0, 1], "certificate capacity"),
            (head + [0, 0], "certificate capacity"),
            (head + [4] + Array("AC E".utf8) + [4], "certificate family"),
        ]
        for (bytes, problem) in cases {
            #expect(throws: WireError.invalidField(problem)) {
                try WireReader.decode(bytes) { (r) throws(WireError) in try CertificateBody(parsing: &r) }
            }
        }
    }

    @Test("the node's IPv6 address embeds its IPv4 address in the network's ULA /48")
    func derivedIPv6() throws {
        var f = Fixture()
        let cert = try f.node(ip: "10.8.0.7/16")
        guard case .v6(let v6) = cert.body.ipv6.address else { Issue.record("no IPv6"); return }
        #expect(v6.high >> 56 == 0xfd)
        #expect(v6.low == 0x0a08_0007)
        #expect(cert.body.ipv6.length == 48)
        #expect(f.ca.certificate.body.ipv6.contains(cert.body.ipv6.address))
    }

    @Test("of two certificates for one address the newer wins, then the longer valid, then a fixed order")
    func precedence() throws {
        var f = Fixture()
        let old = try f.node(ip: "10.8.0.3/16", notBefore: 2000)
        let new = try f.node(ip: "10.8.0.3/16", notBefore: 3000)
        #expect(new.supersedes(old) && !old.supersedes(new))
        let short = try f.node(ip: "10.8.0.3/16", notBefore: 3000, notAfter: 400_000)
        #expect(new.supersedes(short) && !short.supersedes(new))
        let twin = try f.node(ip: "10.8.0.3/16", notBefore: 3000)
        #expect(new.supersedes(twin) != twin.supersedes(new), "exactly one of two equal-aged certificates wins")
        #expect(!new.supersedes(new))
    }

    @Test("an expired certificate is refused with how long ago")
    func expired() throws {
        var f = Fixture()
        let cert = try f.node(notAfter: 5000)
        #expect(throws: CertificateError.expired(secondsAgo: 86400 * 3)) {
            _ = try cert.unchecked.verify(authority: f.ca.certificate, atUnixTime: 5000 + 86400 * 3)
        }
        #expect(CertificateError.expired(secondsAgo: 86400 * 3).description == "certificate expired 3 days ago")
    }

    @Test("a certificate that is not yet valid is refused")
    func notYetValid() throws {
        var f = Fixture()
        let cert = try f.node(notBefore: 9000)
        #expect(throws: CertificateError.notYetValid(secondsAhead: 7000)) {
            _ = try cert.unchecked.verify(authority: f.ca.certificate, atUnixTime: 2000)
        }
    }

    @Test("a certificate from another CA is refused as such")
    func wrongCA() throws {
        var mine = Fixture(seed: 1)
        var theirs = Fixture(seed: 2)
        let cert = try theirs.node()
        #expect {
            _ = try cert.unchecked.verify(authority: mine.ca.certificate, atUnixTime: 2000)
        } throws: { error in
            guard case .wrongCA = error as? CertificateError else { return false }
            return true
        }
        _ = try mine.node()
    }

    @Test("a tampered certificate fails its signature")
    func tampered() throws {
        var f = Fixture()
        let cert = try f.node()
        var bytes = cert.encoded
        // The name is at offset 7: alice → blice keeps the encoding valid but breaks the signature.
        bytes[7] = UInt8(ascii: "b")
        let parsed = try UncheckedCertificate(parsing: bytes)
        #expect(throws: CertificateError.badSignature) { _ = try parsed.verify(authority: f.ca.certificate, atUnixTime: 2000) }
    }

    @Test("a CA certificate cannot pose as a node certificate and vice versa")
    func kinds() throws {
        var f = Fixture()
        #expect(throws: CertificateError.wrongKind(expected: "node")) {
            _ = try f.ca.certificate.unchecked.verify(authority: f.ca.certificate, atUnixTime: 2000)
        }
        let cert = try f.node()
        #expect(throws: CertificateError.wrongKind(expected: "CA")) { _ = try cert.unchecked.verifyAuthority(atUnixTime: 2000) }
        _ = try f.ca.certificate.unchecked.verifyAuthority(atUnixTime: 2000)
    }

    @Test("an address outside the CA's network cannot be signed")
    func outsideNetwork() throws {
        var f = Fixture()
        #expect(throws: CertificateError.addressOutsideNetwork("10.9.0.1")) { _ = try f.node(ip: "10.9.0.1/16") }
    }

    @Test("validity is clipped to the CA's")
    func clipped() throws {
        var f = Fixture()
        let cert = try f.node(notBefore: 0, notAfter: .max)
        #expect(cert.body.notBefore == 1000)
        #expect(cert.body.notAfter == 1_000_000)
    }

    @Test("truncated, oversized and garbage encodings are refused with typed errors")
    func malformed() throws {
        var f = Fixture()
        let cert = try f.node().encoded
        for n in [0, 3, 10, cert.count - 1] {
            #expect(throws: CertificateError.self) { _ = try UncheckedCertificate(parsing: Array(cert.prefix(n))) }
        }
        #expect(throws: CertificateError.malformed(.trailingBytes(1))) { _ = try UncheckedCertificate(parsing: cert + [0]) }
        #expect(throws: CertificateError.self) { _ = try UncheckedCertificate(parsing: [UInt8](repeating: 0xff, count: 2000)) }
        var rng = SeededRandom(seed: 5)
        for _ in 0..<500 {
            var junk = cert
            let i = Int(rng.next(below: UInt64(junk.count)))
            junk[i] = rng.next()
            _ = try? UncheckedCertificate(parsing: junk)
        }
    }

    @Test("private and public keys round-trip as one base64 line")
    func keyText() throws {
        var rng = SeededRandom(seed: 6)
        let key = SigningKey(random: &rng)
        let text = KeyText.privateKey(key)
        func publicKey(of text: String) -> Key32? {
            switch KeyText.parsePrivateKey(text) {
            case .some(let k): k.publicKey
            case .none: nil
            }
        }
        #expect(publicKey(of: text) == key.publicKey)
        #expect(KeyText.parsePublicKey(KeyText.publicKey(key.publicKey)) == key.publicKey)
        #expect(publicKey(of: "short") == nil)
        #expect(publicKey(of: Encoding.base64([UInt8](repeating: 1, count: 31))) == nil)
    }
}
