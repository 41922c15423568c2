public import WarrenWire

/// How a NAT maps this node's socket to public addresses (RFC 4787 §4.1), as far as Binding
/// answers from several servers tell.
public enum MappingBehaviour: String, Codable, Sendable {
    /// A server saw the address the socket is bound to: no NAT between them.
    case none
    /// The same reflexive address towards every server: a peer can reach the mapping a
    /// STUN server reported, so hole punching works against most NATs ("cone" NATs).
    case endpointIndependent = "endpoint-independent"
    /// A different reflexive address towards each server ("symmetric" NAT): what a server
    /// reports is useless to peers, only port prediction or a relay helps.
    case endpointDependent = "endpoint-dependent"
    /// Fewer than two servers at different addresses answered.
    case unknown
    /// No server answered: UDP may be blocked.
    case noAnswer = "no-answer"

    /// Classifies from the answers, given the addresses this node's socket has locally.
    public static func classify(_ results: [BindingProbe.Result], local: [Endpoint]) -> MappingBehaviour {
        let answered = results.compactMap { r in r.change.isEmpty ? r.mapped.map { (server: r.server, mapped: $0) } : nil }
        guard !answered.isEmpty else { return .noAnswer }
        if answered.contains(where: { local.contains($0.mapped) }) { return .none }
        // Only servers at different IP addresses show whether the mapping depends on the
        // destination; by family, as IPv4 and IPv6 have separate NATs (or none).
        for family in [true, false] {
            let same = answered.filter { $0.mapped.address.isIPv4 == family }
            guard Set(same.map(\.server.address)).count >= 2 else { continue }
            return Set(same.map(\.mapped)).count == 1 ? .endpointIndependent : .endpointDependent
        }
        return .unknown
    }
}
