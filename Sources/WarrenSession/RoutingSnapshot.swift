public import WarrenCrypto
public import WarrenWire

/// The tables the packet threads read: which peer owns a destination address (with its
/// current keypair and path), and which keypair a receiver index names. The control thread
/// brings it up to date whenever anything changes (`RoutingTable`) and publishes it whole;
/// a packet thread takes it once per batch, so lookups need no lock.
public struct RoutingSnapshot: Sendable {
    public struct Route: Sendable {
        public let link: PeerLink
        /// The keypair to send with, if a confirmed, unexpired one exists.
        public let keypair: Keypair?
        /// Where its packets go: its endpoint, or a relay channel.
        public let path: Path?
    }

    public struct Inbound: Sendable {
        public let keypair: Keypair
        /// Where the peer's direct packets are expected from; a different source is roaming.
        public let endpoint: Endpoint?
    }

    struct SubnetRoute: Sendable {
        let prefix: IPPrefix
        let route: Route
    }

    var hosts4 = SplitMap<UInt32, Route>()
    var hosts6 = SplitMap<IPv6Address, Route>()
    /// Routed subnets, longest prefix first.
    var subnets: [SubnetRoute] = []
    var byIndex = SplitMap<UInt32, Inbound>()
    /// Every peer with a session, by its public key: where a relay's packet thread sends
    /// what it passes on to a neighbour (`CircuitSwitch`).
    var byPeer = SplitMap<Key32, Route>()
    /// This node's own addresses and the subnets its certificate routes: the only
    /// destinations a peer's packet may have here, so that a subnet router (or, later, an
    /// exit) is no open door to every network it can reach.
    var localDestinations: [IPPrefix] = []
    /// The ports of this node's IPv4 address that a circuit's last hop translates flows to
    /// (`AnonymousNAT` in WarrenCircuit), when it relays: answers to them are for the
    /// control thread to send back into their circuits, not for the TUN device.
    var anonymousPorts: (address: IPv4Address, ports: ClosedRange<UInt16>)?
    /// This node's IPv4 address, if it accepts packets circuits' last hops deliver
    /// (`DataPath.anonymousDeliveryKind`).
    var anonymousDestination: IPv4Address?
    /// Destinations this node reaches through its circuits only, never over a session of
    /// its own (routes `via = "circuit"`).
    var circuitRoutes: [IPPrefix] = []

    public static let empty = RoutingSnapshot()

    /// Cryptokey routing's send rule: the one peer whose certificate owns the address.
    @inline(__always)
    public func route(to address: IPAddress) -> Route? {
        switch address {
        case .v4(let a): if let r = hosts4[a.value] { return r }
        case .v6(let a): if let r = hosts6[a] { return r }
        }
        for s in subnets where s.prefix.contains(address) { return s.route }
        return nil
    }

    /// Cryptokey routing's receive rule, the send rule read backwards (as WireGuard's
    /// allowed IPs): a packet's inner source must route back to the peer it came from. An
    /// address a newer certificate won, or an overlay address inside an old subnet, is
    /// then refused even though the sender's certificate claims it. By key, not link: a
    /// renewed certificate's old keypairs carry the old link until they rotate out.
    @inline(__always)
    public func accepts(source: IPAddress, from link: PeerLink) -> Bool {
        route(to: source)?.link.publicKey == link.publicKey
    }

    @inline(__always)
    public func inbound(index: UInt32) -> Inbound? { byIndex[index] }

    /// The route to the peer whose key is `publicKey`, if it has a session.
    @inline(__always)
    public func route(toPeer publicKey: Key32) -> Route? { byPeer[publicKey] }

    /// Cryptokey routing's other receive rule: may a packet for `address` be delivered here?
    @inline(__always)
    public func acceptsDelivery(to address: IPAddress) -> Bool {
        Self.any(of: localDestinations, contains: address)
    }

    /// Whether packets to `address` go through this node's circuits.
    @inline(__always)
    public func isCircuitRoute(_ address: IPAddress) -> Bool {
        Self.any(of: circuitRoutes, contains: address)
    }

    @inline(__always)
    static func any(of prefixes: [IPPrefix], contains address: IPAddress) -> Bool {
        // An index loop: a `for … where` over the array allocated once per packet in debug
        // builds (AllocationTests).
        var i = 0
        while i < prefixes.count {
            if prefixes[i].contains(address) { return true }
            i += 1
        }
        return false
    }

    /// Whether a delivered IPv4 packet answers a flow a circuit's last hop translated: to
    /// this node's address, a TCP or UDP port or an ICMP echo reply identifier among
    /// `anonymousPorts`, and no later fragment.
    @inline(__always)
    public func isCircuitAnswer(_ packet: UnsafeRawBufferPointer) -> Bool {
        guard let reserved = anonymousPorts, packet.count >= IPPacket.ipv4HeaderMin, packet[0] >> 4 == 4,
              UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: 16, as: UInt32.self)) == reserved.address.value,
              UInt16(bigEndian: packet.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x1fff == 0 else { return false }
        let header = Int(packet[0] & 0x0f) * 4
        let port: Int
        switch packet[9] {
        case 6, 17: port = header + 2
        case 1 where packet.count > header && packet[header] == 0: port = header + 4
        default: return false
        }
        guard packet.count >= port + 2 else { return false }
        return reserved.ports.contains(UInt16(bigEndian: packet.loadUnaligned(fromByteOffset: port, as: UInt16.self)))
    }

    public var routeCount: Int { hosts4.count + hosts6.count + subnets.count }
}
