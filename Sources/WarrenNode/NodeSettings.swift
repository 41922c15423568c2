public import WarrenCircuit
public import WarrenDHT
public import WarrenWire

/// What a node's decisions read from the configuration and from what the daemon set up,
/// parsed once.
public struct NodeSettings: Sendable {
    /// The overlay interface and the UDP port, as the daemon opened them.
    public var interfaceName: String
    public var listenPort: UInt16
    /// Whether the socket takes IPv6 too (beacons on IPv6 links need it).
    public var dualStack: Bool
    /// False on a host with IPv6 disabled: the overlay has its IPv4 address only.
    public var overlayIPv6: Bool
    /// Bootstrap nodes: the DHT's first contacts, and the rendezvous nodes a record names.
    public var bootstrap: [Contact]
    /// Endpoints to publish instead of those found (`listen.advertise`).
    public var advertise: [Endpoint]
    public var stunServers: [HostPort]
    /// How often rendezvous nodes get a keepalive, so NATs keep this node reachable to them.
    public var natKeepalive: Duration
    /// Whether the daemon listens for LAN beacons; the node sends them only then.
    public var lanBeacons: Bool
    public var dht: DHTNode.Settings
    /// How long a packet to an unknown address waits for its owner's lookup.
    public var resolverPatience: Duration
    public var circuits: CircuitSettings

    public init(interfaceName: String, listenPort: UInt16, dualStack: Bool = true, overlayIPv6: Bool = true,
                bootstrap: [Contact] = [], advertise: [Endpoint] = [], stunServers: [HostPort] = [],
                natKeepalive: Duration = .seconds(20), lanBeacons: Bool = false, dht: DHTNode.Settings = DHTNode.Settings(),
                resolverPatience: Duration = AddressResolver.defaultPatience, circuits: CircuitSettings = CircuitSettings()) {
        self.interfaceName = interfaceName
        self.listenPort = listenPort
        self.dualStack = dualStack
        self.overlayIPv6 = overlayIPv6
        self.bootstrap = bootstrap
        self.advertise = advertise
        self.stunServers = stunServers
        self.natKeepalive = natKeepalive
        self.lanBeacons = lanBeacons
        self.dht = dht
        self.resolverPatience = resolverPatience
        self.circuits = circuits
    }
}

/// Onion circuits (`[circuits]` and the routes `via = "circuit"`).
public struct CircuitSettings: Sendable {
    /// Whether this node relays others' circuits (its certificate must have the relay role).
    public var relay: Bool
    /// Hops in this node's own circuits.
    public var hops: Int
    /// Destinations this node reaches only through its circuits: it builds circuits when
    /// there are any.
    public var routes: [IPPrefix]
    /// Whether packets a circuit's last hop delivers on behalf of an unknown sender are let
    /// in here (anonymous traffic bypasses rules that go by who sends).
    public var acceptAnonymous: Bool
    /// How packets in circuits are padded: this node's own, and what it answers as a last hop.
    public var padding: CircuitPadding
    /// The guards of the last run (`NodeAction.saveGuards`): a sender keeps its guard for
    /// months, across restarts.
    public var guards: GuardSet
    /// The relay directory of the last run (`NodeAction.saveDirectory`), used until it
    /// expires while fresh lists are asked for.
    public var directory: SavedDirectory?

    public init(relay: Bool = false, hops: Int = 3, routes: [IPPrefix] = [], acceptAnonymous: Bool = false,
                padding: CircuitPadding = .buckets, guards: GuardSet = GuardSet(), directory: SavedDirectory? = nil) {
        self.relay = relay
        self.hops = hops
        self.routes = routes
        self.acceptAnonymous = acceptAnonymous
        self.padding = padding
        self.guards = guards
        self.directory = directory
    }
}
