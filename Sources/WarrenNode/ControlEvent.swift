public import WarrenCircuit
public import WarrenSession
public import WarrenWire

/// What the packet threads hand to the control thread. Rare by design: handshakes, the first
/// packets to a peer without a session, and notices; never steady-state traffic.
public enum ControlEvent: Sendable {
    /// A handshake message, and the path it came by (directly, or through a relay).
    case handshake([UInt8], from: Path)
    /// A STUN message on the Warren port.
    case stun([UInt8], from: Endpoint)
    case hold([UInt8], link: PeerLink)
    case confirmed(Keypair)
    case roamed(PeerLink, Endpoint)
    /// A control message (DHT and later kinds) from an authenticated peer.
    case control([UInt8], link: PeerLink, from: Path)
    /// A packet to an overlay address no peer owns yet: find its owner in the DHT.
    case unroutable(IPv4Address, packet: [UInt8])
    /// A packet to a destination this node reaches through its circuits only: a flow's
    /// first, or one the outbound thread could not seal (`CircuitSending`).
    case viaCircuit([UInt8])
    /// A command back on one of this node's circuits, opened by the inbound thread.
    case circuitCommand([UInt8], circuit: CircuitRelay.Link)
    /// What the inbound thread took off a circuit that ends here and could not handle itself
    /// (`CircuitEnds`): a command, or a packet to translate first or whose destination has
    /// no session.
    case leftCircuit([UInt8], circuit: CircuitRelay.Link)
    /// What this relay decided on the inbound thread (`LockedCircuitRelay.take`) that only the
    /// control thread can carry out: a message to a neighbour without a session, a packet
    /// that leaves its circuit here, an attach.
    case relayActions([CircuitRelay.Action])
    /// An answer to a flow this node delivered as a circuit's last hop.
    case circuitAnswer([UInt8], link: PeerLink)
}
