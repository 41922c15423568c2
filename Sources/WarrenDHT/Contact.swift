public import WarrenCrypto
public import WarrenWire

/// A DHT node as others learn of it: its identity and where it was last reached.
public struct Contact: Hashable, Sendable {
    public let id: NodeID
    public let publicKey: Key32
    public var endpoint: Endpoint

    public init(publicKey: Key32, endpoint: Endpoint) {
        self.id = NodeID(publicKey: publicKey)
        self.publicKey = publicKey
        self.endpoint = endpoint
    }
}
