import WarrenPKI
public import WarrenSession

/// What `warren status` receives over the control socket, as JSON.
public struct StatusReport: Codable, Sendable {
    public var name: String
    public var publicKey: String
    public var interface: String
    public var addresses: [String]
    /// True on a host with IPv6 disabled, where the node has only its IPv4 overlay address.
    public var ipv6Disabled: Bool
    public var listenPort: UInt16
    public var peers: [PeerStatus]
    public var refusals: [Refusal]
    /// Packets dropped on the packet path, by reason.
    public var drops: [String: UInt64]
    public var dht: DHTStatus
    /// What this node forwarded as a relay; nil unless its certificate has the relay role.
    public var relay: RelayStatus?
}

/// A relay's work as `warren status` shows it.
public struct RelayStatus: Codable, Sendable {
    /// Pairs of members joined now, and datagrams and bytes forwarded for them.
    public var pairs: Int
    public var packets: UInt64
    public var bytes: UInt64
}

/// The DHT as `warren status` shows it.
public struct DHTStatus: Codable, Sendable {
    /// Routing-table contacts in all, and per bucket (shared-prefix length with our ID).
    public var contacts: Int
    public var buckets: [String: Int]
    /// Records this node stores for others (and itself).
    public var records: Int
    public var lookupsStarted: Int
    public var lookupsSucceeded: Int
    /// Lookups that waited for a slot, and those refused (too many running and waiting).
    public var lookupsQueued: Int
    public var lookupsRefused: Int
    public var requestsAnswered: Int
    public var requestsRateLimited: Int
    public var recordsRefused: Int
}

/// What `warren lookup ADDRESS` receives: one DHT lookup of the address's record.
public struct LookupReport: Codable, Sendable {
    public var address: String
    public var found: Bool
    /// The owner's certificate name and endpoints, from its record.
    public var name: String?
    public var endpoints: [String]
    /// The rendezvous nodes its record names (`PUBLIC_KEY@ENDPOINT`), which pass on punches.
    public var rendezvous: [String]
    /// Answers it took to reach the record (or the closest node), queries sent, and time.
    public var hops: Int
    public var queries: Int
    public var milliseconds: Int
    /// The closest nodes that answered, closest first: the end of the lookup's path.
    public var closest: [String]
}
