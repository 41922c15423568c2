import WarrenPKI
public import WarrenSession

/// What `warren status` receives over the control socket, as JSON.
public struct StatusReport: Codable, Sendable {
    public var name: String
    public var publicKey: String
    public var interface: String
    public var addresses: [String]
    public var listenPort: UInt16
    public var peers: [PeerStatus]
    public var refusals: [Refusal]
    /// Packets dropped on the packet path, by reason.
    public var drops: [String: UInt64]
}
