import ArgumentParser
import WarrenCrypto
import WarrenLinux
import WarrenPKI
import WarrenWire

struct CA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Create a network CA and sign node certificates (keep the CA key offline).",
        subcommands: [CAInit.self, CASign.self])
}

struct CAInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a CA: DIR/ca.key (mode 0600) and DIR/ca.crt.")

    @Option(help: "The network's name.") var name: String
    @Option(help: "Directory to write ca.key and ca.crt into (created if missing).") var out: String
    @Option(help: "IPv4 network node addresses lie in, /8 or narrower, e.g. 10.8.0.0/16.") var network: String
    @Option(help: "Validity in days.") var days: Int = 3650
    @Flag(help: "Overwrite an existing CA in DIR.") var force = false

    func run() throws {
        try reporting {
            guard let prefix = IPPrefix(network), case .v4 = prefix.address else {
                throw Failure.config("--network: \"\(network)\" is not an IPv4 CIDR such as 10.8.0.0/16")
            }
            do {
                try AddressPolicy.checkNetwork(prefix)
            } catch {
                throw Failure.config("--network: \(error)")
            }
            guard days > 0 && days <= 36500 else { throw Failure.config("--days: must be 1–36500") }
            let keyPath = out + "/ca.key", certPath = out + "/ca.crt"
            try ensureWritable([keyPath, certPath], force: force)
            var random = SystemRandom()
            let key = SigningKey(random: &random)
            let keyText = KeyText.privateKey(key)
            let now = WallClock.nowUnixSeconds()
            let ca: CertificateAuthority
            do {
                ca = try CertificateAuthority.create(name: name, key: key, ipv4Network: prefix, notBefore: now,
                                                     notAfter: now + UInt64(days) * 86400)
            } catch {
                throw Failure.config("--name: \(error)")
            }
            try write(directory: out)
            try write(Array(keyText.utf8), to: keyPath, mode: 0o600)
            try write(Array(PEM.encode(ca.certificate.unchecked.encoded).utf8), to: certPath, mode: 0o644)
            print("wrote \(keyPath) and \(certPath): CA \(name), network \(prefix.network), IPv6 \(ca.certificate.body.ipv6)")
        }
    }
}

struct CASign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Sign a node certificate: OUT.crt, and OUT.key unless --pubkey is given.")

    @Option(help: "The CA directory (with ca.key and ca.crt).") var ca: String
    @Option(help: "The node's name (letters, digits, - _ .).") var name: String
    @Option(help: "The node's overlay IPv4 address with the network's prefix length, e.g. 10.8.0.1/16.") var ip: String
    @Option(help: "Output path prefix: writes PREFIX.crt (and PREFIX.key).") var out: String
    @Option(help: "Sign this public key (base64) instead of making a new key pair.") var pubkey: String?
    @Option(help: "A subnet this node routes for the mesh (repeatable).") var subnet: [String] = []
    @Flag(help: "Grant the relay role.") var relay = false
    @Flag(help: "Grant the exit role.") var exit = false
    @Option(help: "The operator's family (letters, digits, - _ .): circuits never take two hops of one family.") var family: String?
    @Option(help: "Capacity class, 1–255: circuits choose middle relays in proportion to it.") var capacity: Int = 1
    @Option(help: "Validity in days (clipped to the CA's).") var days: Int = 365
    @Flag(help: "Overwrite existing output files.") var force = false

    func run() throws {
        try reporting {
            // A bare address would parse as a /32: the interface route it installs would
            // cover no other member.
            guard ip.contains("/"), let address = IPPrefix(ip), case .v4 = address.address else {
                throw Failure.config("--ip: \"\(ip)\" is not an IPv4 address with the CA network's prefix length, such as 10.8.0.1/16")
            }
            var subnets: [IPPrefix] = []
            for s in subnet {
                guard let p = IPPrefix(s) else { throw Failure.config("--subnet: \"\(s)\" is not a CIDR such as 192.168.50.0/24") }
                subnets.append(p)
            }
            guard days > 0 && days <= 36500 else { throw Failure.config("--days: must be 1–36500") }
            guard (1...255).contains(capacity) else { throw Failure.config("--capacity: must be 1–255") }
            if let family, !CertificateBody.isValidName(family) {
                throw Failure.config("--family: \"\(family)\" is not 1–63 of letters a–z, digits, - _ .")
            }
            let authority = try loadAuthority(directory: ca)
            do {
                try authority.checkAddress(address)
            } catch {
                throw Failure.config("--ip: \(error)")
            }
            for p in subnets {
                do {
                    try authority.checkRoutedSubnet(p)
                } catch {
                    throw Failure.config("--subnet: \(error)")
                }
            }
            var random = SystemRandom()
            let now = WallClock.nowUnixSeconds()
            var roles: Roles = []
            if relay { roles.insert(.relay) }
            if exit { roles.insert(.exit) }
            let keyPath = out + ".key", certPath = out + ".crt"
            let publicKey: Key32
            var keyText: String?
            if let pubkey {
                guard let k = KeyText.parsePublicKey(pubkey), Ed25519.x25519PublicKey(from: k) != nil else {
                    throw Failure.config("--pubkey: not a Warren public key (see `warren pubkey`)")
                }
                publicKey = k
                try ensureWritable([certPath], force: force)
            } else {
                let key = SigningKey(random: &random)
                publicKey = key.publicKey
                keyText = KeyText.privateKey(key)
                try ensureWritable([keyPath, certPath], force: force)
            }
            let certificate: Certificate
            do {
                certificate = try authority.sign(name: name, publicKey: publicKey, ipv4: address, roles: roles, subnets: subnets,
                                                 family: family, capacity: UInt8(capacity),
                                                 notBefore: now, notAfter: now + UInt64(days) * 86400)
            } catch {
                throw Failure.config("cannot sign: \(error)")
            }
            if let keyText { try write(Array(keyText.utf8), to: keyPath, mode: 0o600) }
            try write(Array(PEM.encode(certificate.encoded).utf8), to: certPath, mode: 0o644)
            let wrote = keyText == nil ? certPath : "\(keyPath) and \(certPath)"
            print("wrote \(wrote): \(name) \(certificate.body.ipv4) \(certificate.body.ipv6), fingerprint \(certificate.fingerprint)")
        }
    }

    func loadAuthority(directory: String) throws -> CertificateAuthority {
        let keyPath = directory + "/ca.key", certPath = directory + "/ca.crt"
        let certText = try readText(certPath, what: "--ca")
        guard let bytes = PEM.decode(certText) else { throw Failure.config("--ca: \(certPath) holds no WARREN CERTIFICATE") }
        let certificate: AuthorityCertificate
        do {
            certificate = try UncheckedCertificate(parsing: bytes).verifyAuthority(atUnixTime: WallClock.nowUnixSeconds())
        } catch {
            throw Failure.config("--ca: \(certPath): \(error)")
        }
        guard let key = KeyText.parsePrivateKey(try readText(keyPath, what: "--ca")) else {
            throw Failure.config("--ca: \(keyPath) is not a Warren private key")
        }
        do {
            return try CertificateAuthority(key: key, certificate: certificate)
        } catch {
            throw Failure.config("--ca: \(keyPath) does not belong to \(certPath)")
        }
    }
}

func readText(_ path: String, what: String) throws -> String {
    do {
        return String(decoding: try FileAccess.readAll(path: path, maxBytes: 1 << 20), as: UTF8.self)
    } catch {
        throw Failure.config("\(what): \(error)")
    }
}

func ensureWritable(_ paths: [String], force: Bool) throws {
    guard !force else { return }
    for path in paths where FileAccess.exists(path: path) {
        throw Failure.config("\(path) exists; refusing to overwrite it (use --force)")
    }
}

func write(directory: String) throws {
    do {
        try FileAccess.makeDirectory(path: directory, mode: 0o700)
    } catch {
        throw Failure.runtime(error.description)
    }
}

func write(_ bytes: [UInt8], to path: String, mode: UInt32) throws {
    do {
        try FileAccess.writeAtomically(bytes, to: path, mode: mode)
    } catch {
        throw Failure.runtime(error.description)
    }
}
