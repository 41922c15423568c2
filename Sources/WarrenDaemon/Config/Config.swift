public import WarrenPKI
public import WarrenWire
public import Logging

/// A node's configuration, as read from TOML (see config/warren.toml for every key with its
/// meaning). Values here are syntactically valid; `NodeSetup` checks what needs the
/// filesystem (keys, certificates, permissions).
public struct Config: Sendable, Equatable {
    /// The file it came from, for error messages; relative paths in it are resolved against
    /// that file's directory.
    public var file: String

    public var keyPath: String
    public var certificatePath: String
    public var authorityPath: String

    public var interfaceName: String = "warren0"
    public var mtu: Int = 1420

    public var listenPort: UInt16 = 51820
    public var socketBufferBytes: Int = 8 << 20

    public var controlSocket: String = "/run/warren/warren.sock"
    /// Where the node keeps what outlives a restart (the DHT routing table).
    public var stateDirectory: String = "/var/lib/warren"
    public var logLevel: Logger.Level = .info
    public var blocklist: Blocklist = []
    /// Proven peers the node keeps at once; nil leaves it to the certificate's roles
    /// (`SessionManager.defaultPeerLimit`).
    public var maxPeers: Int?
    static let maxPeersRange = 16...(1 << 20)
    public var peers: [PeerEntry] = []
    /// DHT nodes to join through when the routing table is empty.
    public var bootstrap: [BootstrapNode] = []
    /// Endpoints to publish in this node's DHT record; empty means the host's addresses.
    public var advertise: [Endpoint] = []
    /// STUN servers `warren netcheck` asks besides the connected peers (every node answers
    /// STUN); names are looked up by the daemon (`ServerNames`).
    public var stunServers: [HostPort] = []
    /// Seconds between keepalives to the rendezvous nodes, which hold this node's NAT mapping
    /// open for them (many NATs forget an idle UDP mapping after 30 s).
    public var natKeepaliveSeconds = 20
    /// Announce this node on its LANs, and listen for other members' announcements.
    public var lanBeacons = true
    public var circuits = Circuits()
    public var exit = Exit()

    /// `PUBLIC_KEY@IP:PORT`, as `warren pubkey` and the node's listen address give it.
    public struct BootstrapNode: Sendable, Equatable {
        public var publicKey: String
        public var endpoint: Endpoint

        public init?(_ text: String) {
            let parts = text.split(separator: "@", maxSplits: 1)
            guard parts.count == 2, let endpoint = Endpoint(parts[1]) else { return nil }
            publicKey = String(parts[0])
            self.endpoint = endpoint
        }
    }

    public struct PeerEntry: Sendable, Equatable {
        public var publicKey: String
        public var endpoint: Endpoint?
        public var persistentKeepaliveSeconds: Int?
    }

    public static let defaultPath = "/etc/warren/warren.toml"
    public static let mtuRange = 1280...9000
}

extension Config {
    /// A config with every default, for tools that need a default (the control socket) when
    /// no config file exists.
    public init(defaultsFor file: String) {
        self.file = file
        keyPath = ""
        certificatePath = ""
        authorityPath = ""
    }
}
