import Foundation
import Testing
import WarrenCrypto
import WarrenDaemon
import WarrenLinux
import WarrenPKI
import WarrenWire

/// Loading a node's files: each thing an operator gets wrong is named with its config key.
@Suite("Node identity files")
struct NodeIdentityTests {
    /// A temp directory with a CA, a node key and certificate, and a config pointing at them.
    final class Files {
        let dir: String
        let config: Config

        init(nodeKeyMode: UInt32 = 0o600, foreignCA: Bool = false, mismatchedKey: Bool = false, blocklistOwnKey: Bool = false) throws {
            dir = NSTemporaryDirectory() + "warren-identity-\(UUID().uuidString)"
            try FileAccess.makeDirectory(path: dir, mode: 0o700)
            var rng = SystemRandom()
            let now = WallClock.nowUnixSeconds()
            let ca = try CertificateAuthority.create(name: "net", key: SigningKey(random: &rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                     notBefore: now - 10, notAfter: now + 86400)
            let other = try CertificateAuthority.create(name: "other", key: SigningKey(random: &rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                        notBefore: now - 10, notAfter: now + 86400)
            let key = SigningKey(random: &rng)
            let certKey = mismatchedKey ? SigningKey(random: &rng).publicKey : key.publicKey
            let cert = foreignCA
                ? try other.sign(name: "alice", publicKey: certKey, ipv4: IPPrefix("10.8.0.1/16")!, roles: [], subnets: [],
                                 notBefore: now - 10, notAfter: now + 3600)
                : try ca.sign(name: "alice", publicKey: certKey, ipv4: IPPrefix("10.8.0.1/16")!, roles: [], subnets: [],
                              notBefore: now - 10, notAfter: now + 3600)
            try FileAccess.writeAtomically(Array(KeyText.privateKey(key).utf8), to: dir + "/node.key", mode: nodeKeyMode)
            try FileAccess.writeAtomically(Array(PEM.encode(cert.encoded).utf8), to: dir + "/node.crt", mode: 0o644)
            try FileAccess.writeAtomically(Array(PEM.encode(ca.certificate.unchecked.encoded).utf8), to: dir + "/ca.crt", mode: 0o644)
            let blocklist = blocklistOwnKey ? "[security]\nblocklist = [\"\(KeyText.publicKey(key.publicKey))\"]\n" : ""
            config = try Config(toml: "[node]\nkey = \"node.key\"\ncertificate = \"node.crt\"\nca = \"ca.crt\"\n" + blocklist,
                                file: dir + "/warren.toml")
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func load() -> ConfigError? {
            do {
                _ = try NodeIdentity(config: config, atUnixTime: WallClock.nowUnixSeconds())
                return nil
            } catch {
                return error
            }
        }
    }

    @Test("good files load")
    func good() throws {
        #expect(try Files().load() == nil)
    }

    @Test("a blocklist naming this node's own public key is refused")
    func ownKeyBlocklisted() throws {
        let error = try #require(try Files(blocklistOwnKey: true).load())
        #expect(error.key == "security.blocklist")
        #expect(error.problem.hasPrefix("names this node itself (public key "), "\(error)")
    }

    @Test("a private key readable by others is refused, naming node.key and the fix")
    func permissions() throws {
        let error = try #require(try Files(nodeKeyMode: 0o644).load())
        #expect(error.key == "node.key")
        #expect(error.problem.contains("mode 644"))
        #expect(error.problem.contains("chmod 600"))
    }

    @Test("an unreadable key file is refused with the system's reason")
    func missingKey() throws {
        let files = try Files()
        try FileManager.default.removeItem(atPath: files.dir + "/node.key")
        let error = try #require(files.load())
        #expect(error.key == "node.key")
        #expect(error.problem.contains("No such file"))
    }

    @Test("a missing CA certificate is named")
    func missingCA() throws {
        let files = try Files()
        try FileManager.default.removeItem(atPath: files.dir + "/ca.crt")
        #expect(try #require(files.load()).key == "node.ca")
    }

    @Test("a certificate from another CA is refused")
    func foreign() throws {
        let error = try #require(try Files(foreignCA: true).load())
        #expect(error.key == "node.certificate")
        #expect(error.problem.contains("another CA"))
    }

    @Test("a certificate issued for another key is refused")
    func mismatch() throws {
        let error = try #require(try Files(mismatchedKey: true).load())
        #expect(error.key == "node.certificate")
        #expect(error.problem.contains("another key"))
    }

    @Test("a garbage key file is refused")
    func garbageKey() throws {
        let files = try Files()
        try FileAccess.writeAtomically(Array("not a key\n".utf8), to: files.dir + "/node.key", mode: 0o600)
        let error = try #require(files.load())
        #expect(error.key == "node.key")
        #expect(error.problem.contains("not a Warren private key"))
    }
}
