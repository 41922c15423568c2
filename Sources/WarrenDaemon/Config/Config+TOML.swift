import Logging
import TOMLKit
import WarrenCrypto
import WarrenPKI
import WarrenWire

extension Config {
    /// Parses and validates TOML text. Unknown keys are errors: a typo must not silently
    /// leave a default in place.
    public init(toml text: String, file: String) throws(ConfigError) {
        if let line = TOMLPrecheck.firstUnsafeLine(text) {
            throw ConfigError(file: file, key: nil, problem: "invalid TOML at line \(line): a table header must start with a key name")
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, key: nil,
                              problem: "invalid TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        } catch {
            throw ConfigError(file: file, key: nil, problem: "invalid TOML: \(error)")
        }
        let r = TableReader(table: root, path: "", file: file)
        try r.allowOnly(["node", "interface", "listen", "control", "log", "security", "dht", "nat", "peer", "circuits", "route", "exit"])

        let node = try r.table("node", required: true)!
        try node.allowOnly(["key", "certificate", "ca", "state_directory"])
        let base = Self.directory(of: file)
        keyPath = Self.resolve(try node.string("key", required: true)!, against: base)
        certificatePath = Self.resolve(try node.string("certificate", required: true)!, against: base)
        authorityPath = Self.resolve(try node.string("ca", required: true)!, against: base)
        if let state = try node.string("state_directory") {
            guard !state.isEmpty else { throw node.error("state_directory", "must not be empty") }
            stateDirectory = Self.resolve(state, against: base)
        }
        self.file = file

        if let t = try r.table("interface") {
            try t.allowOnly(["name", "mtu"])
            if let name = try t.string("name") {
                // IFNAMSIZ is 16 including the NUL; the kernel refuses '/', ':' and spaces.
                guard !name.isEmpty, name.utf8.count <= 15,
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
                    throw t.error("name", "\"\(name)\" is not a valid interface name (1–15 letters, digits, - _ .)")
                }
                interfaceName = name
            }
            if let mtu = try t.int("mtu") {
                guard Self.mtuRange.contains(mtu) else { throw t.error("mtu", "\(mtu) is outside \(Self.mtuRange.lowerBound)–\(Self.mtuRange.upperBound)") }
                self.mtu = mtu
            }
        }
        if let t = try r.table("listen") {
            try t.allowOnly(["port", "socket_buffer_bytes"])
            if let port = try t.int("port") {
                guard (0...65535).contains(port) else { throw t.error("port", "\(port) is not a UDP port (0–65535)") }
                listenPort = UInt16(port)
            }
            if let bytes = try t.int("socket_buffer_bytes") {
                guard (1 << 16...1 << 30).contains(bytes) else { throw t.error("socket_buffer_bytes", "\(bytes) is outside 64 KiB–1 GiB") }
                socketBufferBytes = bytes
            }
        }
        if let t = try r.table("control") {
            try t.allowOnly(["socket"])
            if let path = try t.string("socket") {
                guard path.hasPrefix("/") else { throw t.error("socket", "must be an absolute path") }
                controlSocket = path
            }
        }
        if let t = try r.table("log") {
            try t.allowOnly(["level"])
            if let level = try t.string("level") {
                guard let parsed = Logger.Level(rawValue: level) else {
                    throw t.error("level", "\"\(level)\" is not one of trace, debug, info, notice, warning, error, critical")
                }
                logLevel = parsed
            }
        }
        if let t = try r.table("security") {
            try t.allowOnly(["blocklist", "max_peers"])
            if let limit = try t.int("max_peers") {
                guard Self.maxPeersRange.contains(limit) else { throw t.error("max_peers", "\(limit) is outside 16–1048576") }
                maxPeers = limit
            }
            for (i, text) in (try t.strings("blocklist")).enumerated() {
                guard let entry = Blocklist.Entry(text) else {
                    throw t.error("blocklist[\(i)]", "\"\(text)\" is neither a certificate fingerprint (64 hex digits, see "
                                      + "`warren cert show`) nor a public key (base64, see `warren pubkey`)")
                }
                blocklist.insert(entry)
            }
        }
        if let t = try r.table("dht") {
            try t.allowOnly(["bootstrap", "advertise"])
            for (i, entry) in (try t.strings("bootstrap")).enumerated() {
                guard let node = BootstrapNode(entry), let raw = Encoding.fromBase64(node.publicKey), raw.count == 32 else {
                    throw t.error("bootstrap[\(i)]", "\"\(entry)\" is not PUBLIC_KEY@IP:PORT (e.g. P2Km…LE=@192.0.2.1:51820)")
                }
                bootstrap.append(node)
            }
            for (i, entry) in (try t.strings("advertise")).enumerated() {
                guard let endpoint = Endpoint(entry) else {
                    throw t.error("advertise[\(i)]", "\"\(entry)\" is not an IP:port endpoint")
                }
                advertise.append(endpoint)
            }
        }
        if let t = try r.table("nat") {
            try t.allowOnly(["stun", "keepalive", "lan_beacons"])
            if let b = try t.bool("lan_beacons") { lanBeacons = b }
            if let k = try t.int("keepalive") {
                guard (1...300).contains(k) else { throw t.error("keepalive", "\(k) is outside 1–300 seconds") }
                natKeepaliveSeconds = k
            }
            for (i, entry) in (try t.strings("stun")).enumerated() {
                guard let server = HostPort(entry) else {
                    throw t.error("stun[\(i)]", "\"\(entry)\" is not HOST:PORT (e.g. 192.0.2.1:3478, [2001:db8::1]:3478 or stun.example.net:3478)")
                }
                stunServers.append(server)
            }
        }
        for p in try r.tables("peer") {
            try p.allowOnly(["public_key", "endpoint", "persistent_keepalive"])
            let key = try p.string("public_key", required: true)!
            guard let raw = Encoding.fromBase64(key), raw.count == 32 else {
                throw p.error("public_key", "\"\(key)\" is not a base64 public key (see `warren pubkey`)")
            }
            var entry = PeerEntry(publicKey: key, endpoint: nil, persistentKeepaliveSeconds: nil)
            if let e = try p.string("endpoint") {
                guard let endpoint = Endpoint(e) else {
                    throw p.error("endpoint", "\"\(e)\" is not an IP:port endpoint (e.g. 192.0.2.1:51820 or [2001:db8::1]:51820)")
                }
                entry.endpoint = endpoint
            }
            if let k = try p.int("persistent_keepalive") {
                guard (0...3600).contains(k) else { throw p.error("persistent_keepalive", "\(k) is outside 0–3600 seconds") }
                entry.persistentKeepaliveSeconds = k == 0 ? nil : k
            }
            guard !peers.contains(where: { $0.publicKey == key }) else { throw p.error("public_key", "this peer is listed twice") }
            peers.append(entry)
        }
        try readCircuits(r)
        try readExit(r)
    }

    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    static func resolve(_ path: String, against base: String) -> String {
        path.hasPrefix("/") ? path : base + "/" + path
    }
}

/// Reads typed values out of one TOML table, naming the key path in every error.
struct TableReader {
    let table: TOMLTable
    let path: String
    let file: String

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func error(_ name: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: key(name), problem: problem)
    }

    func allowOnly(_ names: Set<String>) throws(ConfigError) {
        for k in table.keys.sorted() where !names.contains(k) {
            throw ConfigError(file: file, key: key(k), problem: "unknown key (expected one of: \(names.sorted().joined(separator: ", ")))")
        }
    }

    func table(_ name: String, required: Bool = false) throws(ConfigError) -> TableReader? {
        guard let value = table[name] else {
            if required { throw error(name, "missing section [\(key(name))]") }
            return nil
        }
        guard let t = value.table else { throw error(name, "must be a table ([\(key(name))])") }
        return TableReader(table: t, path: key(name), file: file)
    }

    func tables(_ name: String) throws(ConfigError) -> [TableReader] {
        guard let value = table[name] else { return [] }
        guard let array = value.array else { throw error(name, "must be an array of tables ([[\(key(name))]])") }
        var out: [TableReader] = []
        for (i, element) in array.enumerated() {
            guard let t = element.table else { throw error("\(name)[\(i)]", "must be a table") }
            out.append(TableReader(table: t, path: "\(key(name))[\(i)]", file: file))
        }
        return out
    }

    func string(_ name: String, required: Bool = false) throws(ConfigError) -> String? {
        guard let value = table[name] else {
            if required { throw error(name, "missing (required)") }
            return nil
        }
        guard let s = value.string else { throw error(name, "must be a string") }
        return s
    }

    func int(_ name: String) throws(ConfigError) -> Int? {
        guard let value = table[name] else { return nil }
        guard let i = value.int else { throw error(name, "must be an integer") }
        return i
    }

    func bool(_ name: String) throws(ConfigError) -> Bool? {
        guard let value = table[name] else { return nil }
        guard let b = value.bool else { throw error(name, "must be true or false") }
        return b
    }

    func strings(_ name: String) throws(ConfigError) -> [String] {
        guard let value = table[name] else { return [] }
        guard let array = value.array else { throw error(name, "must be an array of strings") }
        var out: [String] = []
        for (i, element) in array.enumerated() {
            guard let s = element.string else { throw error("\(name)[\(i)]", "must be a string") }
            out.append(s)
        }
        return out
    }
}
