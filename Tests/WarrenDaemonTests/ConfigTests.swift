import Foundation
import Testing
import WarrenDaemon
import WarrenPKI

@Suite("Config parsing")
struct ConfigTests {
    static let minimal = """
    [node]
    key = "node.key"
    certificate = "node.crt"
    ca = "/etc/warren/ca.crt"
    """

    func parse(_ extra: String) throws(ConfigError) -> Config {
        try Config(toml: Self.minimal + "\n" + extra, file: "/etc/warren/warren.toml")
    }

    func problem(_ extra: String) -> ConfigError? {
        do {
            _ = try parse(extra)
            return nil
        } catch {
            return error
        }
    }

    @Test("a minimal config gets the documented defaults; relative paths follow the config file")
    func defaults() throws {
        let c = try parse("")
        #expect(c.keyPath == "/etc/warren/node.key")
        #expect(c.authorityPath == "/etc/warren/ca.crt")
        #expect(c.interfaceName == "warren0")
        #expect(c.mtu == 1420)
        #expect(c.listenPort == 51820)
        #expect(c.controlSocket == "/run/warren/warren.sock")
        #expect(c.socketBufferBytes >= 4 << 20)
        #expect(c.peers.isEmpty)
        #expect(c.maxPeers == nil)
    }

    @Test("every section and key is read")
    func full() throws {
        let c = try parse("""
        [interface]
        name = "mesh1"
        mtu = 1380
        [listen]
        port = 4000
        socket_buffer_bytes = 16777216
        [control]
        socket = "/run/warren/mesh1.sock"
        [log]
        level = "debug"
        [security]
        blocklist = ["\(String(repeating: "ab", count: 32))"]
        max_peers = 20000
        [dht]
        bootstrap = ["P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3LE=@192.0.2.7:51820"]
        advertise = ["198.51.100.1:51820"]
        [nat]
        stun = ["192.0.2.10:3478", "[2001:db8::10]:3478", "STUN.Example.NET.:3478"]
        keepalive = 15
        lan_beacons = false
        [[peer]]
        public_key = "P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3LE="
        endpoint = "[2001:db8::1]:51820"
        persistent_keepalive = 25
        [circuits]
        relay = true
        hops = 4
        accept_anonymous = true
        padding = "fixed"
        [[route]]
        to = "10.8.0.42"
        via = "circuit"
        [[route]]
        to = "10.8.3.7/24"
        via = "circuit"
        """)
        #expect(c.interfaceName == "mesh1" && c.mtu == 1380 && c.listenPort == 4000)
        #expect(c.socketBufferBytes == 16 << 20)
        #expect(c.logLevel == .debug)
        #expect(c.blocklist.count == 1 && c.maxPeers == 20000)
        #expect(c.peers.first?.endpoint?.description == "[2001:db8::1]:51820")
        #expect(c.peers.first?.persistentKeepaliveSeconds == 25)
        #expect(c.bootstrap.first?.endpoint.description == "192.0.2.7:51820")
        #expect(c.advertise.first?.description == "198.51.100.1:51820")
        #expect(c.stunServers.map(\.description) == ["192.0.2.10:3478", "[2001:db8::10]:3478", "stun.example.net:3478"])
        #expect(c.stunServers.map { $0.endpoint == nil } == [false, false, true])
        #expect(c.natKeepaliveSeconds == 15 && !c.lanBeacons)
        #expect(c.circuits.relay && c.circuits.hops == 4 && c.circuits.acceptAnonymous && c.circuits.padding == .fixed)
        #expect(c.circuits.routes.map(\.description) == ["10.8.0.42/32", "10.8.3.0/24"])
    }

    @Test("circuits are off by default: no relaying, no anonymous traffic taken, no routes")
    func circuitDefaults() throws {
        let c = try parse("")
        #expect(!c.circuits.relay && !c.circuits.acceptAnonymous && c.circuits.routes.isEmpty && c.circuits.hops == 3)
    }

    @Test("an exit is off by default; its policy, preset and pools are read as written")
    func exit() throws {
        let off = try parse("")
        #expect(!off.exit.enabled && off.exit.preset == .default && off.exit.rejectPrivate && off.exit.rules.isEmpty)
        #expect(off.exit.ipv4Pool != nil && off.exit.ipv6Pool != nil)
        let c = try parse("""
            [exit]
            enabled = true
            preset = "reduced"
            reject_private = false
            policy = ["reject 198.51.100.0/24", "accept udp * port 53"]
            pools = ["192.0.2.0/24"]
            """)
        #expect(c.exit.enabled && c.exit.preset == .reduced && !c.exit.rejectPrivate)
        #expect(c.exit.rules.map(\.description) == ["reject 198.51.100.0/24", "accept udp * port 53"])
        #expect(c.exit.pools.map(\.description) == ["192.0.2.0/24"] && c.exit.ipv6Pool == nil)
    }

    @Test("each bad value names the file, the key and the problem", arguments: [
        ("[interface]\nmtu = 100", "interface.mtu", "outside 1280"),
        ("[interface]\nname = \"this-name-is-too-long\"", "interface.name", "not a valid interface name"),
        ("[listen]\nport = 70000", "listen.port", "not a UDP port"),
        ("[listen]\nport = \"51820\"", "listen.port", "must be an integer"),
        ("[log]\nlevel = \"loud\"", "log.level", "not one of"),
        ("[control]\nsocket = \"relative.sock\"", "control.socket", "absolute"),
        ("[security]\nblocklist = [\"xyz\"]", "security.blocklist[0]", "is neither a certificate fingerprint (64 hex digits"),
        ("[security]\nblocklist = [\"\(String(repeating: "ab", count: 32))\", \"\(String(repeating: "zz", count: 32))\"]",
         "security.blocklist[1]", "nor a public key (base64, see `warren pubkey`)"),
        // 31 bytes of base64: the shape of a key, one byte short.
        ("[security]\nblocklist = [\"P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3A==\"]", "security.blocklist[0]", "nor a public key"),
        ("[interface]\nnmae = \"x\"", "interface.nmae", "unknown key"),
        ("[surprise]\na = 1", "surprise", "unknown key"),
        ("[[peer]]\nendpoint = \"192.0.2.1:1\"", "peer[0].public_key", "missing"),
        ("[circuits]\nhops = 9", "circuits.hops", "9 is outside 1–8"),
        ("[circuits]\nrelay = 1", "circuits.relay", "true or false"),
        ("[circuits]\npadding = \"lots\"", "circuits.padding", "not one of buckets, fixed, none"),
        ("[circuits]\nguards = 3", "circuits.guards", "unknown key"),
        ("[[route]]\nvia = \"circuit\"", "route[0].to", "missing"),
        ("[[route]]\nto = \"10.8.0.42\"", "route[0].via", "missing"),
        ("[[route]]\nto = \"bob\"\nvia = \"circuit\"", "route[0].to", "not an address or prefix"),
        ("[[route]]\nto = \"fd00::1\"\nvia = \"circuit\"", "route[0].to", "only IPv4"),
        ("[[route]]\nto = \"10.8.0.42\"\nvia = \"exit\"", "route[0].via", "\"exit\" is not a way to route"),
        ("[exit]\nenabled = \"yes\"", "exit.enabled", "true or false"),
        ("[exit]\npreset = \"open\"", "exit.preset", "\"open\" is not one of default, reduced"),
        ("[exit]\npolicy = [\"accept *\", \"accept 10.0.0.1/8\"]", "exit.policy[1]", "\"accept 10.0.0.1/8\": 10.0.0.1/8 has host bits set"),
        ("[exit]\npolicy = \"accept *\"", "exit.policy", "array of strings"),
        ("[exit]\npools = [\"100.96.0.1/16\"]", "exit.pools[0]", "not a network prefix"),
        ("[exit]\npools = [\"100.96.0.0/16\", \"100.97.0.0/16\"]", "exit.pools[1]", "a second IPv4 pool"),
        ("[exit]\npools = [\"192.0.2.0/31\"]", "exit.pools[0]", "too small to lend addresses from"),
        ("[exit]\npools = []", "exit.pools", "no pool"),
        ("[exit]\nexit_policy = []", "exit.exit_policy", "unknown key"),
        ("[[route]]\nto = \"10.8.0.42\"\nvia = \"circuit\"\n[[route]]\nto = \"10.8.0.42/32\"\nvia = \"circuit\"", "route[1].to", "routed twice"),
        ("[dht]\nbootstrap = [\"192.0.2.1:1\"]", "dht.bootstrap[0]", "PUBLIC_KEY@IP:PORT"),
        ("[dht]\nbootstrap = [\"nope@192.0.2.1:1\"]", "dht.bootstrap[0]", "PUBLIC_KEY@IP:PORT"),
        ("[dht]\nadvertise = [\"host\"]", "dht.advertise[0]", "not an IP:port"),
        ("[nat]\nstun = [\"192.0.2.1\"]", "nat.stun[0]", "not HOST:PORT"),
        ("[nat]\nstun = [\"stun_server.example:3478\"]", "nat.stun[0]", "not HOST:PORT"),
        ("[nat]\nstun = [\"192.0.2.300:3478\"]", "nat.stun[0]", "not HOST:PORT"),
        ("[nat]\nstun_servers = []", "nat.stun_servers", "unknown key"),
        ("[nat]\nkeepalive = 0", "nat.keepalive", "outside 1–300"),
        ("[security]\nmax_peers = 8", "security.max_peers", "8 is outside 16–1048576"),
        ("[security]\nmax_peers = \"many\"", "security.max_peers", "integer"),
        ("[nat]\nlan_beacons = \"yes\"", "nat.lan_beacons", "true or false"),
        ("[[peer]]\npublic_key = \"nope\"", "peer[0].public_key", "not a base64 public key"),
        ("[[peer]]\npublic_key = \"P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3LE=\"\nendpoint = \"example.com:1\"", "peer[0].endpoint", "not an IP:port"),
        ("[[peer]]\npublic_key = \"P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3LE=\"\npersistent_keepalive = -1", "peer[0].persistent_keepalive", "outside"),
    ])
    func badValues(extra: String, key: String, fragment: String) throws {
        let error = try #require(problem(extra))
        #expect(error.file == "/etc/warren/warren.toml")
        #expect(error.key == key)
        #expect(error.problem.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("/etc/warren/warren.toml: \(key): "))
    }

    @Test("the blocklist takes public keys as `warren pubkey` prints them besides fingerprints in any case")
    func blocklistEntries() throws {
        let key = "P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3LE="
        let fingerprint = String(repeating: "AB", count: 32)
        let c = try parse("[security]\nblocklist = [\"\(fingerprint)\", \"\(key)\"]")
        let publicKey = try #require(KeyText.parsePublicKey(key))
        #expect(c.blocklist == [.fingerprint(fingerprint.lowercased()), .publicKey(publicKey)])
    }

    @Test("a missing [node] section or key is named")
    func missingNode() {
        do {
            _ = try Config(toml: "[interface]\nmtu = 1400\n", file: "w.toml")
            Issue.record("accepted a config without [node]")
        } catch {
            #expect(error.key == "node")
        }
        do {
            _ = try Config(toml: "[node]\nkey = \"k\"\nca = \"c\"\n", file: "w.toml")
            Issue.record("accepted a config without node.certificate")
        } catch {
            #expect(error.key == "node.certificate")
        }
    }

    @Test("a TOML syntax error gives the line")
    func syntax() {
        do {
            _ = try Config(toml: "[node]\nkey = \n", file: "w.toml")
            Issue.record("accepted broken TOML")
        } catch {
            #expect(error.key == nil)
            #expect(error.problem.contains("line 2"), "\(error)")
        }
    }

    @Test("a peer listed twice is refused")
    func duplicatePeer() throws {
        let peer = "[[peer]]\npublic_key = \"P2Kmrj894hqczWIAXwEW32G+//NG7XaOAq77MSfC3LE=\"\n"
        let error = try #require(problem(peer + peer))
        #expect(error.key == "peer[1].public_key")
    }
}

@Suite("The example config")
struct ExampleConfigTests {
    @Test("config/warren.toml parses, and its values are the defaults it claims")
    func example() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../config/warren.toml").standardized.path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let parsed = try Config(toml: text, file: "/etc/warren/warren.toml")
        var defaults = try Config(toml: ConfigTests.minimal, file: "/etc/warren/warren.toml")
        defaults.certificatePath = parsed.certificatePath
        defaults.authorityPath = parsed.authorityPath
        defaults.keyPath = parsed.keyPath
        #expect(parsed == defaults)
    }
}
