import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenPKI

@Suite("Which addresses a certificate may claim")
struct AddressPolicyTests {
    /// Signs `subnets` for a fresh key at 10.8.0.1/16.
    func sign(_ f: inout Fixture, ip: String = "10.8.0.1/16", subnets: [String] = []) throws -> Certificate {
        let key = SigningKey(random: &f.rng)
        return try f.ca.sign(name: "n", publicKey: key.publicKey, ipv4: IPPrefix(ip)!, roles: [],
                             subnets: subnets.map { IPPrefix($0)! }, notBefore: 1000, notAfter: 500_000)
    }

    @Test("the CA refuses subnets that overlap its IPv4 network or its IPv6 ULA", arguments: [
        "0.0.0.0/0", "10.0.0.0/8", "10.8.0.0/16", "10.8.7.0/24", "10.8.0.2/32", "::/0", "fc00::/7", "ULA/48", "ULA/64",
    ])
    func overlapRefusedWhenSigning(subnet: String) throws {
        var f = Fixture()
        let ula = f.ca.certificate.body.ipv6.network.address.description
        let prefix = IPPrefix(subnet.hasPrefix("ULA") ? ula + subnet.dropFirst(3) : subnet)!
        let overlay = prefix.address.isIPv4 ? "10.8.0.0/16" : f.ca.certificate.body.ipv6.description
        #expect(throws: CertificateError.subnetOverlapsOverlay(subnet: prefix.network.description, overlay: overlay)) {
            _ = try sign(&f, subnets: ["192.168.50.0/24", prefix.description])
        }
    }

    @Test("the CA refuses subnets wider than IPv4 /8 or IPv6 /32 and signs narrower ones outside the overlay")
    func width() throws {
        var f = Fixture()
        #expect(throws: CertificateError.subnetTooWide(subnet: "128.0.0.0/1", minimumLength: 8)) {
            _ = try sign(&f, subnets: ["128.0.0.0/1"])
        }
        #expect(throws: CertificateError.subnetTooWide(subnet: "2000::/3", minimumLength: 32)) {
            _ = try sign(&f, subnets: ["2000::/3"])
        }
        let cert = try sign(&f, subnets: ["11.0.0.0/8", "10.9.0.0/16", "192.168.1.7/32", "2001:db8::/32", "2001:db8:1::/48"])
        #expect(cert.body.subnets.count == 5)
    }

    @Test("the CA refuses a node address without the network's prefix length, or its network or broadcast address",
          arguments: [
              ("10.8.0.1/32", CertificateError.prefixLengthMismatch(address: "10.8.0.1/32", network: "10.8.0.0/16")),
              ("10.8.0.1/24", .prefixLengthMismatch(address: "10.8.0.1/24", network: "10.8.0.0/16")),
              ("10.8.0.0/16", .reservedAddress(address: "10.8.0.0", network: "10.8.0.0/16")),
              ("10.8.255.255/16", .reservedAddress(address: "10.8.255.255", network: "10.8.0.0/16")),
              ("10.9.0.1/16", .addressOutsideNetwork("10.9.0.1")),
          ])
    func badAddress(ip: String, error: CertificateError) throws {
        var f = Fixture()
        #expect(throws: error) { _ = try sign(&f, ip: ip) }
        _ = try sign(&f, ip: "10.8.255.254/16")
    }

    @Test("a CA network wider than /8 cannot be made")
    func wideNetwork() throws {
        var rng = SeededRandom(seed: 3)
        for network in ["0.0.0.0/0", "10.0.0.0/7"] {
            #expect(throws: CertificateError.networkTooWide(network: IPPrefix(network)!.network.description, minimumLength: 8)) {
                _ = try CertificateAuthority.create(name: "n", key: SigningKey(random: &rng), ipv4Network: IPPrefix(network)!,
                                                    notBefore: 0, notAfter: 10)
            }
        }
    }

    @Test("a certificate whose subnet overlaps the overlay is refused at verification, whoever signed it")
    func overlapRefusedWhenVerifying() throws {
        let f = Fixture()
        // What an older or mistaken CA would sign: the body signed directly with the CA key,
        // past the checks `sign` makes.
        var rng = SeededRandom(seed: 9)
        let ca = f.ca.certificate.body
        let body = CertificateBody(kind: .node, name: "greedy", publicKey: SigningKey(random: &rng).publicKey,
                                   issuer: ca.publicKey, notBefore: 1000, notAfter: 500_000, ipv4: IPPrefix("10.8.0.9/16")!,
                                   ipv6: OverlayAddressing.nodeIPv6(network: ca.ipv6, ipv4: IPv4Address(10, 8, 0, 9)),
                                   subnets: [IPPrefix("192.168.50.0/24")!, IPPrefix("0.0.0.0/0")!])
        let bytes = UncheckedCertificate(body: body, signature: f.ca.key.sign(body.signedBytes())).encoded
        let received = try UncheckedCertificate(parsing: bytes)
        let error = CertificateError.subnetOverlapsOverlay(subnet: "0.0.0.0/0", overlay: "10.8.0.0/16")
        #expect(throws: error) { _ = try received.verify(authority: f.ca.certificate, atUnixTime: 2000) }
        #expect(error.description == "subnet 0.0.0.0/0 overlaps the overlay network 10.8.0.0/16, whose addresses only members hold")
    }
}

extension IPAddress {
    var isIPv4: Bool { if case .v4 = self { true } else { false } }
}
