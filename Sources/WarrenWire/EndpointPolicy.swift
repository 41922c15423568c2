/// Which endpoints someone else may make this node send to. Every endpoint that arrives in a
/// message (a DHT record or contact, a punch notice, a LAN beacon) passes here before a
/// handshake, probe or query is aimed at it; packet sources and the operator's config do not.
///
/// Without it a member could point a node at its own loopback or LAN services, at the
/// overlay (so the tunnel would carry itself), or at multicast and broadcast groups: a
/// handshake initiation sent on someone's word is traffic towards a party that never asked
/// for it (security issue #11, finding 5).
public struct EndpointPolicy: Hashable, Sendable {
    /// Why an endpoint is refused; `description` is a sentence for logs and status.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case portZero
        case unspecified
        case loopback
        case linkLocal
        case multicast
        case broadcast
        case overlay(IPPrefix)

        public var description: String {
            switch self {
            case .portZero: "port 0 is nobody's"
            case .unspecified: "an unspecified address (0.0.0.0/8 or ::) reaches this host"
            case .loopback: "a loopback address reaches this host"
            case .linkLocal: "a link-local address has no meaning beyond its own link"
            case .multicast: "a multicast address reaches a group, not a node"
            case .broadcast: "the broadcast address reaches every host on the link"
            case .overlay(let prefix): "an address in the overlay \(prefix.network) would send through the tunnel itself"
            }
        }
    }

    /// The overlay networks (the CA's IPv4 network and IPv6 ULA prefix).
    public let overlay: [IPPrefix]

    public init(overlay: [IPPrefix]) {
        self.overlay = overlay
    }

    /// Throws why `endpoint` is refused. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
    /// judged as the IPv4 address they reach through a dual-stack socket.
    public func check(_ endpoint: Endpoint) throws(Refusal) {
        guard endpoint.port != 0 else { throw .portZero }
        let address = Self.unmapped(endpoint.address)
        switch address {
        case .v4(let a):
            // RFC 1122 §3.2.1.3 ("this network"), RFC 6890: 127/8, 169.254/16, 224/4.
            if a.value >> 24 == 0 { throw .unspecified }
            if a.value >> 24 == 127 { throw .loopback }
            if a.value >> 16 == 0xa9fe { throw .linkLocal }
            if a.value == 0xffff_ffff { throw .broadcast }
        case .v6(let a):
            // RFC 4291 §2.5.2, §2.5.3, §2.5.6.
            if a.high == 0 && a.low == 0 { throw .unspecified }
            if a.high == 0 && a.low == 1 { throw .loopback }
            if a.high >> 54 == 0x3fa { throw .linkLocal }
        }
        if address.isMulticast { throw .multicast }
        if let prefix = overlay.first(where: { $0.contains(address) }) { throw .overlay(prefix) }
    }

    public func admits(_ endpoint: Endpoint) -> Bool {
        (try? check(endpoint)) != nil
    }

    /// The endpoints it admits, in their order.
    public func admitted(_ endpoints: [Endpoint]) -> [Endpoint] {
        endpoints.filter(admits)
    }

    private static func unmapped(_ address: IPAddress) -> IPAddress {
        guard case .v6(let a) = address, a.high == 0, a.low >> 32 == 0x0000_ffff else { return address }
        return .v4(IPv4Address(UInt32(truncatingIfNeeded: a.low)))
    }
}
