// Config(toml:file:): the daemon's configuration file, through TOMLKit (toml++) and Warren's
// validation. An operator's typo must end in a ConfigError that names the file, never a trap.
//
// Invariants:
// - The parser either returns a Config or throws a ConfigError for this file (typed throws
//   make any other error impossible; the fuzzer looks for traps and memory errors).
// - The same text gives the same result twice (no dependence on hashing or order).
// - An accepted config holds only values Warren's validation allows.
//
// Found here: toml++ 3.4.0 (inside TOMLKit 0.6.0) asserts, and aborts the process, on a table
// header whose key starts with a character that cannot start a key (`[=`, a lone `[`);
// fixed upstream in marzer/tomlplusplus#301. Warren now refuses such headers first
// (TOMLPrecheck, d54b9cb); this target checks that nothing gets past it.
//
// Also found here, and fixed: TOMLPrecheck first scanned Characters, so a header still
// reached toml++ with CRLF line endings, after a byte-order mark or before a combining mark.
// Regression test: Tests/WarrenDaemonTests/FuzzRegressionTests.swift.
import FuzzSupport
import WarrenCrypto
import WarrenDaemon
import WarrenWire

let file = "/etc/warren/warren.toml"

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let full = """
        [node]
        key = "node.key"
        certificate = "node.crt"
        ca = "/etc/warren/ca.crt"

        [interface]
        name = "warren0"
        mtu = 1420

        [listen]
        port = 51820
        socket_buffer_bytes = 8388608

        [control]
        socket = "/run/warren/warren.sock"

        [log]
        level = "info"

        [security]
        blocklist = ["0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]

        [[peer]]
        public_key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
        endpoint = "192.0.2.1:51820"
        persistent_keepalive = 25

        [[peer]]
        public_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        endpoint = "[2001:db8::1]:51820"

        """
    let minimal = "[node]\nkey = \"k\"\ncertificate = \"c\"\nca = \"a\"\n"
    Fuzz.writeSeedsIfRequested([("full.toml", Array(full.utf8)), ("minimal.toml", Array(minimal.utf8))])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = Fuzz.text(data, size)
    let first = Result { () throws(ConfigError) in try Config(toml: text, file: file) }
    let second = Result { () throws(ConfigError) in try Config(toml: text, file: file) }
    Fuzz.check(first == second, "the same text parsed twice gave \(first) and then \(second)")

    switch first {
    case .failure(let error):
        Fuzz.check(error.file == file && error.description.hasPrefix(file + ": "), "error does not name the file: \(error)")
        Fuzz.check(!error.problem.isEmpty, "error without a problem: \(error)")
    case .success(let config):
        check(config)
    }
    return 0
}

func check(_ c: Config) {
    Fuzz.check(c.file == file, "config names file \(c.file)")
    for path in [c.keyPath, c.certificatePath, c.authorityPath] {
        Fuzz.check(path.hasPrefix("/"), "path \(path.debugDescription) not made absolute")
    }
    Fuzz.check(!c.interfaceName.isEmpty && c.interfaceName.utf8.count <= 15
               && !c.interfaceName.contains { $0 == "/" || $0 == ":" || $0.isWhitespace },
               "interface name \(c.interfaceName.debugDescription) accepted")
    Fuzz.check(Config.mtuRange.contains(c.mtu), "mtu \(c.mtu) accepted")
    Fuzz.check((1 << 16...1 << 30).contains(c.socketBufferBytes), "socket buffer \(c.socketBufferBytes) accepted")
    Fuzz.check(c.controlSocket.hasPrefix("/"), "control socket \(c.controlSocket.debugDescription) accepted")
    for fp in c.blocklist.fingerprints {
        Fuzz.check(fp.utf8.count == 64 && Encoding.fromHex(fp) != nil && fp == fp.lowercased(),
                   "blocklist entry \(fp.debugDescription) accepted")
    }
    for key in c.blocklist.publicKeys {
        Fuzz.check(Ed25519.x25519PublicKey(from: key) != nil, "blocklisted key \(key) is no Ed25519 public key")
    }
    Fuzz.check(Set(c.peers.map(\.publicKey)).count == c.peers.count, "a peer is listed twice")
    for p in c.peers {
        Fuzz.check(Encoding.fromBase64(p.publicKey)?.count == 32, "peer key \(p.publicKey.debugDescription) accepted")
        if let k = p.persistentKeepaliveSeconds {
            Fuzz.check((1...3600).contains(k), "keepalive \(k) accepted")
        }
        if let e = p.endpoint {
            Fuzz.check(Endpoint(e.description) == e, "endpoint \(e) does not read back")
        }
    }
}

