public import WarrenSession

/// What `warren ping` receives over the control socket, as JSON.
public struct PingReport: Codable, Sendable {
    public struct Reply: Codable, Sendable {
        public var sequence: Int
        public var milliseconds: Double
    }

    public var peer: String
    public var address: String
    /// Where the probes went, and how.
    public var endpoint: String?
    public var path: PeerPath?
    public var foundBy: String?
    public var sent: Int
    public var replies: [Reply]
    public var error: String?
}
