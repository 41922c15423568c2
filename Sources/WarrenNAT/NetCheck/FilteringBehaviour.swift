/// What a NAT lets in to a mapping (RFC 4787 §5), as RFC 5780 §4.4 tells it: a server that
/// names an OTHER-ADDRESS is asked to answer from its other address and port, and from its
/// other port; which answers get through the NAT shows how it filters.
public enum FilteringBehaviour: String, Codable, Sendable {
    /// Anyone may send to the mapping ("full cone"): the answer from the other address came.
    case endpointIndependent = "endpoint-independent"
    /// Only addresses the node has sent to ("address-restricted"): the answer from the
    /// other port came, the one from the other address did not.
    case addressDependent = "address-dependent"
    /// Only the address and port pairs it has sent to ("port-restricted", and most symmetric
    /// NATs): neither came.
    case addressAndPortDependent = "address-and-port-dependent"
    /// No configured server supports the tests, or one answered in a way that tells nothing.
    case unknown

    /// Classifies from a probe's results: per server, its plain request's answer (naming the
    /// other address) and the two change requests'. An answer counts only if it came from
    /// where it was asked to: a server that ignores CHANGE-REQUEST answers from its own.
    public static func classify(_ results: [BindingProbe.Result]) -> FilteringBehaviour {
        for plain in results where plain.change.isEmpty && plain.mapped != nil {
            guard let other = plain.other, other.address != plain.server.address, other.port != plain.server.port,
                  let both = results.first(where: { $0.server == plain.server && $0.change == [.address, .port] }),
                  let port = results.first(where: { $0.server == plain.server && $0.change == .port }) else { continue }
            let server = plain.server
            if both.mapped != nil, let from = both.answeredFrom, from.address != server.address, from.port != server.port {
                return .endpointIndependent
            }
            // Refused, or answered from the wrong place: this server tells nothing.
            guard both.mapped == nil, both.error == nil else { continue }
            if port.mapped != nil, let from = port.answeredFrom, from.address == server.address, from.port != server.port {
                return .addressDependent
            }
            guard port.mapped == nil, port.error == nil else { continue }
            return .addressAndPortDependent
        }
        return .unknown
    }
}
