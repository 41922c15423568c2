import Foundation

/// A home router for the lab: a namespace cabled to the switch with a "public" address
/// 192.168.77.(200+R), forwarding for nodes on LANs of their own (172.20.(10R+K).0/24), or
/// all on one LAN (172.20.(10R).0/24, a bridge), and translating their addresses with
/// nftables, as the kernel's NAT does in real routers. There is no hairpinning unless asked
/// for (on a shared LAN): then a node's packets to another's mapping at the router's public
/// address come back in to the LAN, from its own mapping, as many home routers do.
///
/// Node K's port 51820 is mapped to the router's port 40000+K for every destination, except
/// under `symmetric`, which picks a random port per destination, and `symmetricSequential`,
/// which takes the next of a sequence per destination. What comes back is let in as RFC 4787
/// §5 describes each filtering behaviour.
final class NATRouter {
    enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Endpoint-independent mapping and filtering: anyone may send to the mapping.
        case fullCone = "full-cone"
        /// Endpoint-independent mapping; only addresses the node has sent to get in.
        case addressRestricted = "address-restricted"
        /// Endpoint-independent mapping; only address and port pairs sent to get in (what
        /// Linux's masquerade does).
        case portRestricted = "port-restricted"
        /// A new mapping per destination, address and port dependent filtering.
        case symmetric
        /// The same, with each new mapping on the port after the last one's (UDP from
        /// 20000 up), as many real NATs do: its ports can be predicted.
        case symmetricSequential = "symmetric-sequential"

        /// Whether each destination gets a mapping of its own.
        var mapsPerDestination: Bool { self == .symmetric || self == .symmetricSequential }

        var description: String { rawValue }
    }

    let name: String
    let kind: Kind
    let namespace: NetworkNamespace
    let publicAddress: String
    let index: Int
    /// Every node on one bridged LAN instead of one LAN each.
    let sharedLAN: Bool
    let hairpin: Bool
    private var lans = 0

    init(name: String, kind: Kind, namespace: NetworkNamespace, publicAddress: String, index: Int, sharedLAN: Bool, hairpin: Bool) {
        self.name = name
        self.kind = kind
        self.namespace = namespace
        self.publicAddress = publicAddress
        self.index = index
        self.sharedLAN = sharedLAN
        self.hairpin = hairpin
    }

    /// Cables `node` to a LAN of its own behind the router, with a default route through it,
    /// and adds its mapping and filtering rules; returns the node's address there.
    func cable(_ node: NetworkNamespace, name: String) async throws -> String {
        lans += 1
        let subnet = "172.20.\(index * 10 + (sharedLAN ? 0 : lans))"
        let inside = "\(subnet).\(sharedLAN ? 1 + lans : 2)", lan = "lan\(lans)", mapped = 40000 + lans
        try await Command.check(namespace.ip("link", "add", "name", lan, "type", "veth", "peer", "name", "eth0", "netns", node.name))
        if sharedLAN {
            try await Command.check(namespace.ip("link", "set", lan, "master", "lanbr"))
        } else {
            try await Command.check(namespace.ip("address", "add", "\(subnet).1/24", "dev", lan))
        }
        try await Command.check(namespace.ip("link", "set", lan, "up"))
        try await Command.check(node.ip("address", "add", "\(inside)/24", "dev", "eth0"))
        try await Command.check(node.ip("link", "set", "eth0", "up"))
        try await Command.check(node.ip("route", "add", "default", "via", "\(subnet).1"))

        var rules: [String] = []
        if !kind.mapsPerDestination {
            // Inserted: before the catch-all masquerade.
            rules.append("insert rule ip wit_nat postrouting oifname eth0 ip saddr \(inside) udp sport \(Lab.port) snat to \(publicAddress):\(mapped)")
        }
        switch kind {
        case .fullCone:
            rules.append("add rule ip wit_nat prerouting iifname eth0 udp dport \(mapped) dnat to \(inside):\(Lab.port)")
        case .addressRestricted:
            rules.append("add set ip wit_nat contacted\(lans) { type ipv4_addr; flags dynamic, timeout; timeout 5m; }")
            rules.append("add rule ip wit_nat forward oifname eth0 ip saddr \(inside) update @contacted\(lans) { ip daddr }")
            rules.append("add rule ip wit_nat prerouting iifname eth0 udp dport \(mapped) ip saddr @contacted\(lans) dnat to \(inside):\(Lab.port)")
        case .portRestricted, .symmetric, .symmetricSequential:
            break
        }
        if hairpin {
            precondition(sharedLAN && !kind.mapsPerDestination, "hairpinning is for nodes with fixed mappings on one LAN")
            rules.append("add rule ip wit_nat prerouting iifname lanbr ip daddr \(publicAddress) udp dport \(mapped) dnat to \(inside):\(Lab.port)")
            rules.append("add rule ip wit_nat postrouting oifname lanbr ip saddr \(inside) udp sport \(Lab.port) ct status dnat snat to \(publicAddress):\(mapped)")
        }
        try await Router.apply(rules, in: namespace)
        return inside
    }
}

enum Router {
    /// Loads nftables commands in one transaction.
    static func apply(_ commands: [String], in namespace: NetworkNamespace) async throws {
        guard !commands.isEmpty else { return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wit-nft-\(UUID().uuidString)").path
        try (commands.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await Command.check(namespace.exec(["nft", "-f", file]))
    }
}

extension Lab {
    /// How many ports a `symmetricSequential` router hands out before it starts over.
    static let sequentialPorts = 1024

    /// Adds a NAT router of `kind` on the switch.
    func addNATRouter(_ name: String, kind: NATRouter.Kind, sharedLAN: Bool = false, hairpin: Bool = false) async throws -> NATRouter {
        precondition(name.utf8.count <= 12 && name.allSatisfy { $0.isLetter || $0.isNumber }, "short alphanumeric router names")
        routers += 1
        let switchBoard = try await switchBoard()
        let namespace = try await NetworkNamespace.create("\(id)-\(name)")
        namespaces.append(namespace)
        let publicAddress = "192.168.77.\(200 + routers)"
        try await Command.check(switchBoard.ip("link", "add", "name", name, "type", "veth", "peer", "name", "eth0", "netns", namespace.name))
        try await Command.check(switchBoard.ip("link", "set", "dev", name, "master", "br0", "up"))
        try await Command.check(namespace.ip("address", "add", "\(publicAddress)/24", "dev", "eth0"))
        try await Command.check(namespace.ip("link", "set", "eth0", "up"))
        try await Command.check(namespace.exec(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]))
        if sharedLAN {
            try await Command.check(namespace.ip("link", "add", "lanbr", "type", "bridge"))
            try await Command.check(namespace.ip("address", "add", "172.20.\(routers * 10).1/24", "dev", "lanbr"))
            try await Command.check(namespace.ip("link", "set", "lanbr", "up"))
        }
        // Mappings per node come with `cable`; anything else leaving masquerades, randomly
        // under a symmetric NAT. A NAT rule runs for the first packet of a flow only, so a
        // counter in it numbers the flows. UDP for the router itself is dropped before
        // conntrack keeps an entry for it: an entry from an unsolicited packet would take the
        // port a later mapping towards its sender needs, which no home router does.
        var rules = [
            "add table ip wit_nat",
            "add chain ip wit_nat prerouting { type nat hook prerouting priority dstnat; }",
            "add chain ip wit_nat input { type filter hook input priority filter; }",
            "add rule ip wit_nat input iifname eth0 meta l4proto udp drop",
            "add chain ip wit_nat forward { type filter hook forward priority filter; }",
            "add chain ip wit_nat postrouting { type nat hook postrouting priority srcnat; }",
        ]
        if kind == .symmetricSequential {
            // Through a map: a counter's raw value would land in the port byte-swapped.
            let ports = (0..<Self.sequentialPorts).map { "\($0) : \(20000 + $0)" }.joined(separator: ", ")
            rules.append("add rule ip wit_nat postrouting oifname eth0 meta l4proto udp snat to \(publicAddress) : numgen inc mod \(Self.sequentialPorts) map { \(ports) }")
        }
        rules.append("add rule ip wit_nat postrouting oifname eth0 masquerade" + (kind == .symmetric ? " fully-random" : ""))
        try await Router.apply(rules, in: namespace)
        return NATRouter(name: name, kind: kind, namespace: namespace, publicAddress: publicAddress, index: routers,
                         sharedLAN: sharedLAN, hairpin: hairpin)
    }

    /// Configures `b` and `a` to join through `boot`, and starts them so that b has settled
    /// (its record published with boot as its rendezvous node, after it asked for its public
    /// address) before a starts: a has never heard of b, and b never of a.
    func startAfterSettling(boot: Node, first b: Node, then a: Node) async throws {
        try configure(boot, peers: [])
        for node in [a, b] { try configure(node, peers: [], bootstrap: [boot]) }
        for node in [boot, b] { try await start(node) }
        try await waitForRecord(of: b, at: boot)
        try await start(a)
    }

    /// Configures `nodes` with `boot` as their bootstrap node and starts all of them at once,
    /// as machines boot: nobody waits for another's record. Returns when every daemon answers
    /// on its control socket.
    func startTogether(boot: Node, _ nodes: [Node], lanBeacons: Bool = false) async throws {
        try configure(boot, peers: [])
        for node in nodes { try configure(node, peers: [], bootstrap: [boot], lanBeacons: lanBeacons) }
        for node in [boot] + nodes { node.daemon = try startProcess(node.name, node.exec(warren, "up", "-c", node.configPath)) }
        for node in [boot] + nodes { try await waitForStatus(node, "\(node.name) is up") { _ in true } }
    }

    /// Waits until `node`'s record names `boot` as its rendezvous node, as a lookup from
    /// `asker` finds it.
    func waitForRecord(of node: Node, at boot: Node, lookingUpFrom asker: Node? = nil) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let out = try await Command.run([warren, "lookup", "--socket", (asker ?? boot).socketPath, "--json", node.overlayIPv4])
            let record = try? JSONDecoder().decode(LookupOutput.self, from: Data(out.stdout.utf8))
            if record?.rendezvous.contains(where: { $0.hasPrefix(boot.publicKey) }) == true { return }
            guard ContinuousClock.now < deadline else { throw LabError("\(node.name)'s record never named boot as its rendezvous node") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Runs coturn as a plain STUN server on `node`'s address (its daemon is not started);
    /// with `secondAddress` (added to the node) on that one too, which makes it answer RFC
    /// 5780's behaviour tests from its other address and port (3479).
    func startSTUNServer(on node: Node, port: Int = 3478, secondAddress: String? = nil) async throws {
        var addresses = ["--listening-ip", node.underlay]
        if let secondAddress {
            try await Command.check(node.namespace.ip("address", "add", "\(secondAddress)/24", "dev", "eth0"))
            addresses += ["--listening-ip", secondAddress]
        }
        _ = try startProcess("coturn-\(node.name)", node.namespace.exec(
            // -n: none of /etc/turnserver.conf (Debian's turns RFC 5780 off).
            ["turnserver", "-n"] + addresses + ["--listening-port", "\(port)", "--stun-only",
             "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--log-file", "stdout", "--simple-log"]))
    }

    /// The lab's UDP probe script (see the file).
    static let udpProbe = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("udp-probe.py").path
}
