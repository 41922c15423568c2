public import WarrenCrypto
public import WarrenWire

/// What path choice knows of a relay, from its signed descriptor and its certificate: whom to
/// reach, with which onion key, where it sits on the underlay, and what the CA says of it.
/// Nothing a relay claims about itself weighs the choice.
public struct CircuitRelayInfo: Hashable, Sendable {
    public let node: Key32
    public let onionKey: Key32
    /// The address it is reached at.
    public let underlay: IPAddress
    /// One operator's nodes, as the CA names them: no two hops share one.
    public let family: String?
    /// The CA's capacity class, 1 or more: a middle is chosen in proportion to it.
    public let capacity: Int
    /// The underlay network no other hop may share: the IPv4 /16 or IPv6 /32.
    public let underlayNetwork: IPPrefix
    /// Its overlay address, from its certificate: a circuit whose hops include a packet's
    /// destination does not carry that packet.
    public let overlay: IPAddress?
    /// Its certificate's name, for `warren circuits`.
    public let name: String

    public init(node: Key32, onionKey: Key32, underlay: IPAddress, family: String? = nil, capacity: Int = 1,
                overlay: IPAddress? = nil, name: String = "") {
        self.node = node
        self.overlay = overlay
        self.name = name
        self.onionKey = onionKey
        self.underlay = underlay
        self.family = family
        self.capacity = max(capacity, 1)
        underlayNetwork = IPPrefix(address: underlay, length: underlay.isIPv4 ? 16 : 32)!.network
    }
}
