public import WarrenCircuit
public import WarrenDHT
public import WarrenNAT
public import WarrenSession
public import WarrenWire

/// What a node asks its host to do, in the order given: snapshots before the sends that
/// depend on them (a handshake response must not leave before the packet threads can decrypt
/// what the initiator sends the moment it arrives).
public enum NodeAction: Sendable {
    /// A datagram from the node's UDP socket.
    case send([UInt8], to: Endpoint)
    /// New routes and keys for the packet threads.
    case publishRouting(RoutingSnapshot)
    /// New relay bindings for the inbound packet thread.
    case publishForwarding(RelayForwarding)
    /// This relay's circuits, for the inbound packet thread: published once, when the node
    /// starts relaying.
    case publishCircuitRelay(LockedCircuitRelay)
    /// This sender's circuits and the flows on them, for both packet threads.
    case publishCircuitSending(CircuitSending)
    /// The circuits that end at this relay and the flows it translates for them, for the
    /// inbound packet thread.
    case publishCircuitEnds(CircuitEnds)
    /// An IP packet for this host (ICMP errors), written into the TUN device.
    case writeTUN([UInt8])
    /// Listen for LAN beacons on a link (repeated with every beacon; joining twice is a no-op).
    case joinBeaconGroup(BeaconLink)
    /// A signed LAN beacon to send to a link's beacon group.
    case sendBeacon([UInt8], on: BeaconLink)
    /// The DHT contacts to keep for the next start.
    case saveContacts([Contact])
    /// The sender's guards to keep for the next start (`CircuitSettings.guards`).
    case saveGuards(GuardSet)
    /// The relay directory to keep for the next start (`CircuitSettings.directory`).
    case saveDirectory(SavedDirectory)
    /// The answer to a control request.
    case reply(RequestID, NodeReply)
    case log(LogEvent)
}

/// A link LAN beacons go out on: an IPv4 network, named by this host's address on it, or an
/// IPv6 link, named by its interface index and this host's address there.
public enum BeaconLink: Hashable, Sendable {
    case ipv4(IPv4Address)
    case ipv6(interfaceIndex: UInt32, address: IPv6Address)
}
