/// What `warren netcheck` receives over the control socket, as JSON.
public struct NetCheckReport: Codable, Sendable {
    public struct Server: Codable, Sendable {
        /// The address asked (the configured `HOST:PORT` if its name has no address).
        public var server: String
        /// Who the server is: "stun" for a configured server, "stun other address" for the
        /// other address one named (RFC 5780), a peer's name otherwise.
        public var kind: String
        /// The `HOST:PORT` of a server configured by name.
        public var name: String?
        public var mapped: String?
        public var milliseconds: Double?
        public var error: String?
    }

    /// This node's socket addresses on its own interfaces.
    public var local: [String]
    /// The distinct public addresses servers saw.
    public var reflexive: [String]
    /// `MappingBehaviour`'s raw value.
    public var mapping: String
    /// `FilteringBehaviour`'s raw value.
    public var filtering: String
    /// Whether any server answered.
    public var udp: Bool
    public var servers: [Server]
}
