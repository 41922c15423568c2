import WarrenWire

/// What the DHT core asks its owner to do.
public enum DHTAction: Equatable, Sendable {
    /// Send `message` to `contact` (inside a session with it; the owner sets one up).
    case send(DHTMessage, to: Contact)
    /// A lookup ended. `records` is empty for a node lookup or when nothing was found;
    /// `closest` holds the closest nodes that answered; `hops` is how many answers deep the
    /// value (or the closest node) was found.
    case lookupFinished(LookupResult)
}

public struct LookupResult: Equatable, Sendable {
    public let id: UInt32
    public let target: NodeID
    public let records: [PeerRecord]
    public let closest: [Contact]
    public let hops: Int
    public let queries: Int
    public let duration: Duration
}
