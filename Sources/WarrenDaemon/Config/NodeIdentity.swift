public import WarrenCrypto
import WarrenLinux
public import WarrenPKI
public import WarrenSession
import WarrenWire

/// Everything a node needs from disk before it can start: its key, its certificate verified
/// against the network CA, and its static peers. Loading checks what an operator gets wrong
/// (unreadable files, a key readable by others, a certificate for another key or expired)
/// and reports it as a `ConfigError` naming the key in the config that points at the file.
public struct NodeIdentity: ~Copyable {
    public let signingKey: SigningKey
    public let certificate: Certificate
    public let authority: AuthorityCertificate
    public let peers: [PeerConfig]

    public init(config: Config, atUnixTime now: UInt64) throws(ConfigError) {
        let file = config.file
        func fail(_ key: String, _ problem: String) -> ConfigError { ConfigError(file: file, key: key, problem: problem) }

        let authorityText = try Self.readText(config.authorityPath, key: "node.ca", file: file)
        guard let caBytes = PEM.decode(authorityText) else {
            throw fail("node.ca", "\(config.authorityPath) holds no WARREN CERTIFICATE block")
        }
        let authority: AuthorityCertificate
        do {
            authority = try UncheckedCertificate(parsing: caBytes).verifyAuthority(atUnixTime: now)
        } catch {
            throw fail("node.ca", "\(config.authorityPath): \(error)")
        }

        let mode: UInt32
        do {
            mode = try FileAccess.fileMode(path: config.keyPath)
        } catch {
            throw fail("node.key", error.description)
        }
        guard mode & 0o077 == 0 else {
            throw fail("node.key", "\(config.keyPath) has mode \(String(mode, radix: 8)); a private key must not be readable by group or others (chmod 600 \(config.keyPath))")
        }
        let keyText = try Self.readText(config.keyPath, key: "node.key", file: file)

        let certificateText = try Self.readText(config.certificatePath, key: "node.certificate", file: file)
        guard let certBytes = PEM.decode(certificateText) else {
            throw fail("node.certificate", "\(config.certificatePath) holds no WARREN CERTIFICATE block")
        }
        let certificate: Certificate
        do {
            certificate = try UncheckedCertificate(parsing: certBytes).verify(authority: authority, atUnixTime: now)
        } catch {
            throw fail("node.certificate", "\(config.certificatePath): \(error)")
        }
        do {
            try config.blocklist.check(certificate.unchecked)
        } catch {
            throw fail("security.blocklist", "names this node itself (\(error))")
        }

        var peers: [PeerConfig] = []
        for (i, entry) in config.peers.enumerated() {
            guard let publicKey = KeyText.parsePublicKey(entry.publicKey) else {
                throw fail("peer[\(i)].public_key", "not a public key")
            }
            guard publicKey != certificate.publicKey else {
                throw fail("peer[\(i)].public_key", "is this node's own key")
            }
            guard Ed25519.x25519PublicKey(from: publicKey) != nil else {
                throw fail("peer[\(i)].public_key", "is not a valid Ed25519 public key")
            }
            peers.append(PeerConfig(publicKey: publicKey, endpoint: entry.endpoint,
                                    persistentKeepalive: entry.persistentKeepaliveSeconds.map { .seconds($0) }))
        }

        // Parsed last: a noncopyable key cannot be dropped on some paths and kept on others.
        guard let key = KeyText.parsePrivateKey(keyText) else {
            throw fail("node.key", "\(config.keyPath) is not a Warren private key (one base64 line, as `warren genkey` writes)")
        }
        guard certificate.publicKey == key.publicKey else {
            throw fail("node.certificate", "\(config.certificatePath) was issued for another key than \(config.keyPath)")
        }
        // Every check is done: a noncopyable value may not be left half-built by a throw.
        self.authority = authority
        self.certificate = certificate
        self.peers = peers
        self.signingKey = key
    }

    static func readText(_ path: String, key: String, file: String) throws(ConfigError) -> String {
        do {
            return String(decoding: try FileAccess.readAll(path: path, maxBytes: 64 << 10), as: UTF8.self)
        } catch {
            throw ConfigError(file: file, key: key, problem: error.description)
        }
    }
}

extension Config {
    /// Reads and parses a config file.
    public static func load(path: String) throws(ConfigError) -> Config {
        let bytes: [UInt8]
        do {
            bytes = try FileAccess.readAll(path: path, maxBytes: 1 << 20)
        } catch {
            throw ConfigError(file: path, key: nil, problem: error.description)
        }
        return try Config(toml: String(decoding: bytes, as: UTF8.self), file: path)
    }
}
