/// What `warren circuits` receives over the control socket, as JSON: this node's own
/// circuits (never what it relays for others, of which only counts are kept).
public struct CircuitsReport: Codable, Sendable {
    public struct Hop: Codable, Sendable {
        public var name: String
        /// guard, middle or last.
        public var role: String
        public var publicKey: String
    }

    public struct Circuit: Codable, Sendable {
        public var hops: [Hop]
        /// "in use" (new flows go on it), "spare", or "draining" (past ten minutes, kept for
        /// the flows on it).
        public var state: String
        public var ageSeconds: Int
        public var buildMilliseconds: Double
        public var roundTripMilliseconds: Double
        public var flows: Int
        public var sentBytes: Int
        public var receivedBytes: Int
    }

    public struct Relaying: Codable, Sendable {
        public var circuits: Int
        /// Translated flows this node delivers as a last hop.
        public var deliveries: Int
        public var drops: [String: Int]
    }

    /// Destinations routed through circuits.
    public var routes: [String]
    public var hops: Int
    /// Relays the directory lists now: the anonymity set a circuit's hops are drawn from.
    public var relaysListed: Int
    /// Whether enough relays gave their lists for paths to be chosen.
    public var directoryComplete: Bool
    public var guardName: String?
    public var building: Int
    public var circuits: [Circuit]
    public var relaying: Relaying?
}
