public import WarrenWire

/// Guesses where a peer behind an endpoint-dependent ("symmetric") NAT will be mapped when it
/// sends to us, for NATs that hand out ports in sequence.
///
/// Such a NAT gives the peer's packets to us a port it has not used before, so the address a
/// rendezvous node saw is useless as such; but many NATs take the next free port, a little
/// above the one the rendezvous node saw. If our own mapping is endpoint-independent, the
/// peer's packets come to one address we know of, so only its source port is unknown: we
/// send to each port of a window above the one seen, and where our packet matches the port
/// its NAT picked, both NATs then let the other side's packets in. Behind an
/// endpoint-dependent NAT ourselves, every guess would leave from yet another port of ours,
/// so there is nothing to gain; with no NAT, the peer's packets reach us anyway.
public enum PortPrediction {
    /// How many ports above the one seen are tried: new mappings the peer's NAT may have
    /// made since (for other destinations of its own, or its neighbours').
    public static let window = 32

    /// The endpoints to try for a peer last seen (by a rendezvous node) at `seen`, given how
    /// our own NAT maps us (not knowing it is reason enough to try); empty where guessing
    /// cannot help.
    public static func guesses(after seen: Endpoint, ownMapping: MappingBehaviour) -> [Endpoint] {
        switch ownMapping {
        case .endpointIndependent, .unknown, .noAnswer:
            let first = Int(seen.port) + 1
            let last = min(Int(seen.port) + window, Int(UInt16.max))
            guard first <= last else { return [] }
            return (first...last).map { Endpoint(address: seen.address, port: UInt16($0)) }
        case .none, .endpointDependent:
            return []
        }
    }
}
