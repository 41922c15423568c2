/// A home router for the lab: a namespace cabled to the switch with a "public" address
/// 192.168.77.(200+K), forwarding for nodes on LANs of their own (172.20.K.0/24 each) and
/// translating their addresses with nftables, as the kernel's NAT does in real routers.
final class NATRouter {
    /// How the router picks a public port for a new flow. `masquerade` keeps the node's port
    /// when it is free and reuses the mapping for every destination (endpoint-independent
    /// mapping); `fully-random` picks a new port for every destination (endpoint-dependent:
    /// a "symmetric" NAT).
    enum Mapping: String, Sendable {
        case endpointIndependent = "masquerade"
        case endpointDependent = "masquerade fully-random"
    }

    let name: String
    let namespace: NetworkNamespace
    let publicAddress: String
    let index: Int
    private var lans = 0

    init(name: String, namespace: NetworkNamespace, publicAddress: String, index: Int) {
        self.name = name
        self.namespace = namespace
        self.publicAddress = publicAddress
        self.index = index
    }

    /// Cables `node` to a LAN of its own behind the router, with a default route through it;
    /// returns the node's address there.
    func cable(_ node: NetworkNamespace, name: String) async throws -> String {
        lans += 1
        let subnet = "172.20.\(index * 10 + lans)"
        let lan = "lan\(lans)"
        try await Command.check(namespace.ip("link", "add", "name", lan, "type", "veth", "peer", "name", "eth0", "netns", node.name))
        try await Command.check(namespace.ip("address", "add", "\(subnet).1/24", "dev", lan))
        try await Command.check(namespace.ip("link", "set", lan, "up"))
        try await Command.check(node.ip("address", "add", "\(subnet).2/24", "dev", "eth0"))
        try await Command.check(node.ip("link", "set", "eth0", "up"))
        try await Command.check(node.ip("route", "add", "default", "via", "\(subnet).1"))
        return "\(subnet).2"
    }
}

extension Lab {
    /// Adds a NAT router on the switch whose translation behaves as `mapping`.
    func addNATRouter(_ name: String, mapping: NATRouter.Mapping) async throws -> NATRouter {
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
        try await Command.check(namespace.exec(["nft", "add", "table", "ip", "wit_nat"]))
        try await Command.check(namespace.exec(["nft", "add", "chain", "ip", "wit_nat", "postrouting",
                                                "{ type nat hook postrouting priority srcnat; }"]))
        try await Command.check(namespace.exec(["nft", "add", "rule", "ip", "wit_nat", "postrouting", "oifname", "eth0"]
                                               + mapping.rawValue.split(separator: " ").map(String.init)))
        return NATRouter(name: name, namespace: namespace, publicAddress: publicAddress, index: routers)
    }

    /// Runs coturn as a plain STUN server on `node`'s address (its daemon is not started).
    func startSTUNServer(on node: Node, port: Int = 3478) throws {
        _ = try startProcess("coturn-\(node.name)", node.exec(
            "turnserver", "--listening-ip", node.underlay, "--listening-port", "\(port)", "--stun-only",
            "--no-tls", "--no-dtls", "--no-tcp", "--no-cli", "--log-file", "stdout", "--simple-log"))
    }
}
