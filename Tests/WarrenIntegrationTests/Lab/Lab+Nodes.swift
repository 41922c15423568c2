import Foundation

/// A network CA made with `warren ca init` in the lab's directory `ca-<label>/`.
struct Authority: Sendable {
    /// Tells the lab's CAs apart; two CAs may carry the same network name.
    let label: String
    let directory: String
}

/// One `warren` node: its namespace, its addresses under and over the tunnel, its files, and
/// the daemon while it runs.
final class Node {
    let name: String
    let namespace: NetworkNamespace
    let authority: Authority
    /// 192.168.77.N on the node's `eth0`; behind a NAT router, 172.20.K.2 on the router's LAN.
    let underlay: String
    /// 10.8.0.N, from its certificate.
    let overlayIPv4: String
    /// The CA's ULA /48 with the IPv4 address in the low 32 bits, from its certificate.
    let overlayIPv6: String
    let publicKey: String
    let keyPath: String
    let configPath: String
    let socketPath: String
    var daemon: BackgroundProcess?

    init(name: String, namespace: NetworkNamespace, authority: Authority, underlay: String, overlayIPv4: String,
         overlayIPv6: String, publicKey: String, keyPath: String, configPath: String, socketPath: String) {
        self.name = name
        self.namespace = namespace
        self.authority = authority
        self.underlay = underlay
        self.overlayIPv4 = overlayIPv4
        self.overlayIPv6 = overlayIPv6
        self.publicKey = publicKey
        self.keyPath = keyPath
        self.configPath = configPath
        self.socketPath = socketPath
    }

    /// Where other nodes reach it: the underlay address and the listen port.
    var endpoint: String { "\(underlay):\(Lab.port)" }

    /// `arguments` run inside the node's namespace.
    func exec(_ arguments: String...) -> [String] { namespace.exec(arguments) }
}

extension Lab {
    /// Creates a CA for the network `networkName`, kept in `ca-<label>/`. All of the lab's
    /// CAs certify the same overlay network, so two of them can hand out the same addresses
    /// under the same network name and differ only in their keys.
    func makeAuthority(_ label: String, networkName: String = "mynet") async throws -> Authority {
        if let existing = authorities[label] { return existing }
        let authority = Authority(label: label, directory: path("ca-\(label)"))
        try await Command.check([warren, "ca", "init", "--name", networkName, "--out", authority.directory,
                                 "--network", Self.overlayNetwork])
        authorities[label] = authority
        return authority
    }

    /// Adds a node: its namespace cabled to the switch, underlay address 192.168.77.N (or to
    /// `router`'s LAN of its own, see `Lab+NAT`; or with `ownNetwork`, 100.(64+N).0.1 in a
    /// /16 of its own on the switch, reaching the others of its kind on the link through
    /// 100.64.0.0/10, as circuits need hops in distinct /16s), and a key and certificate for
    /// 10.8.0.N signed by `authority` (the lab's main CA when nil), with the relay role if
    /// `relay` and the exit role if `exit`. The daemon is not configured or started yet.
    func addNode(_ name: String, authority: Authority? = nil, behind router: NATRouter? = nil, relay: Bool = false,
                 exit: Bool = false, ownNetwork: Bool = false) async throws -> Node {
        // The switch side of the veth pair is named after the node; interface names are
        // limited to 15 bytes.
        precondition(name.utf8.count <= 12 && name.allSatisfy { $0.isLetter || $0.isNumber }, "short alphanumeric node names")
        let authority = if let authority { authority } else { try await makeAuthority("main") }
        let host = nodes.count + 1
        let namespace = try await NetworkNamespace.create("\(id)-\(name)")
        namespaces.append(namespace)
        let underlay: String
        if let router {
            underlay = try await router.cable(namespace, name: name)
        } else {
            let switchBoard = try await switchBoard()
            try await Command.check(switchBoard.ip("link", "add", "name", name, "type", "veth", "peer", "name", "eth0", "netns", namespace.name))
            try await Command.check(switchBoard.ip("link", "set", "dev", name, "master", "br0", "up"))
            underlay = ownNetwork ? "100.\(64 + host).0.1" : "192.168.77.\(host)"
            try await Command.check(namespace.ip("address", "add", "\(underlay)/\(ownNetwork ? 16 : 24)", "dev", "eth0"))
            try await Command.check(namespace.ip("link", "set", "eth0", "up"))
            if ownNetwork { try await Command.check(namespace.ip("route", "add", "100.64.0.0/10", "dev", "eth0")) }
        }

        let prefix = path(name)
        try await Command.check([warren, "ca", "sign", "--ca", authority.directory, "--name", name,
                                 "--ip", "10.8.0.\(host)/16", "--out", prefix] + (relay ? ["--relay"] : []) + (exit ? ["--exit"] : []))
        let shown = try await Command.check([warren, "cert", "show", prefix + ".crt", "--json"])
        let certificate = try JSONDecoder().decode(ShownCertificate.self, from: Data(shown.stdout.utf8))
        let node = Node(name: name, namespace: namespace, authority: authority, underlay: underlay,
                        overlayIPv4: Self.stripPrefixLength(certificate.ipv4),
                        overlayIPv6: Self.stripPrefixLength(certificate.ipv6), publicKey: certificate.publicKey,
                        keyPath: prefix + ".key", configPath: prefix + ".toml", socketPath: prefix + ".sock")
        nodes.append(node)
        return node
    }

    /// Writes the node's config: its key, certificate and CA (relative to the config's
    /// directory, as operators write them), its control socket, `peers` as static peers and
    /// `bootstrap` as its DHT bootstrap nodes, `stun` as its STUN servers. LAN beacons are off
    /// unless asked for: every lab node shares one LAN, and a test of the DHT or of NAT
    /// traversal must not be passed by beacons. `extra` is more TOML, appended.
    func configure(_ node: Node, peers: [Node], bootstrap: [Node] = [], stun: [String] = [], lanBeacons: Bool = false,
                   extra: String = "") throws {
        var toml = """
            [node]
            key = "\(node.name).key"
            certificate = "\(node.name).crt"
            ca = "ca-\(node.authority.label)/ca.crt"
            state_directory = "\(node.name)-state"

            [control]
            socket = "\(node.socketPath)"

            """
        if !bootstrap.isEmpty {
            toml += "\n[dht]\nbootstrap = [" + bootstrap.map { "\"\($0.publicKey)@\($0.endpoint)\"" }.joined(separator: ", ") + "]\n"
        }
        if let level = ProcessInfo.processInfo.environment["WARREN_LAB_LOG_LEVEL"] { toml += "\n[log]\nlevel = \"\(level)\"\n" }
        toml += "\n[nat]\nlan_beacons = \(lanBeacons)\nstun = [" + stun.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
        for peer in peers {
            toml += """

                [[peer]]
                public_key = "\(peer.publicKey)"
                endpoint = "\(peer.endpoint)"

                """
        }
        toml += extra.isEmpty ? "" : "\n" + extra + "\n"
        try toml.write(toFile: node.configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `warren up` in the node's namespace, logging to a file of its own, and waits
    /// until it answers on its control socket, which it opens after its UDP socket and
    /// interface: from then on, handshakes sent to it are not lost (a lost initiation is
    /// only retried after 5 s, which would make tests slow and timings noisy).
    func start(_ node: Node) async throws {
        precondition(node.daemon?.isRunning != true, "\(node.name) is already running")
        node.daemon = try startProcess(node.name, node.exec(warren, "up", "-c", node.configPath))
        try await waitForStatus(node, "\(node.name) is up") { _ in true }
    }

    /// Sends SIGTERM and waits for the daemon to exit; throws if it does not within 5 s.
    func stop(_ node: Node) async throws {
        guard let daemon = node.daemon else { return }
        guard try await daemon.stop() else {
            throw LabError("\(node.name)'s daemon (pid \(daemon.processIdentifier)) did not exit within 5 s of SIGTERM")
        }
    }

    /// Adds nodes named `names`, each with every other as a static peer, starts them all and
    /// waits until every node has a live session with every other.
    func mesh(_ names: [String]) async throws -> [Node] {
        var added: [Node] = []
        for name in names { added.append(try await addNode(name)) }
        for node in added { try configure(node, peers: added.filter { $0 !== node }) }
        for node in added { try await start(node) }
        for node in added { try await waitUntilConnected(node, to: added.filter { $0 !== node }) }
        return added
    }

    static func stripPrefixLength(_ address: String) -> String {
        String(address.split(separator: "/").first ?? Substring(address))
    }
}

/// The fields of `warren cert show --json` the lab reads.
struct ShownCertificate: Decodable {
    var name: String
    var publicKey: String
    var ipv4: String
    var ipv6: String
}
