import WarrenWire

/// The NAT kinds of the lab's nftables routers, in RFC 4787 terms.
public enum NATKind: String, CaseIterable, Sendable, Codable {
    /// Endpoint-independent mapping and filtering: anyone may send to the mapping.
    case fullCone = "full-cone"
    /// Endpoint-independent mapping; only addresses the host has sent to get in.
    case addressRestricted = "address-restricted"
    /// Endpoint-independent mapping; only the address and port pairs sent to get in.
    case portRestricted = "port-restricted"
    /// A new mapping on a random port per destination; only that destination gets in.
    case symmetric
    /// The same, each new mapping on the port after the last one's.
    case symmetricSequential = "symmetric-sequential"
}

/// A NAT router in the mesh simulation with one host behind it: how it maps the host's
/// outgoing datagrams to public ports, and which incoming datagrams it lets through.
struct NATBox {
    let kind: NATKind
    let publicAddress: IPAddress
    let host: Endpoint
    /// Public port by the destination it was made for (`nil` destination: the one mapping of
    /// an endpoint-independent NAT).
    private var mappings: [Endpoint?: UInt16] = [:]
    /// Per public port: the destinations the host sent to from it.
    private var sentTo: [UInt16: Set<Endpoint>] = [:]
    private var nextPort: UInt16 = 20_000

    init(kind: NATKind, publicAddress: IPAddress, host: Endpoint) {
        self.kind = kind
        self.publicAddress = publicAddress
        self.host = host
    }

    /// The public source of a datagram the host sends to `destination`.
    mutating func outbound(to destination: Endpoint, random: inout SimulationRandom) -> Endpoint {
        let key: Endpoint? = kind == .symmetric || kind == .symmetricSequential ? destination : nil
        let port: UInt16
        if let mapped = mappings[key] {
            port = mapped
        } else {
            switch kind {
            case .symmetric:
                var candidate: UInt16
                repeat { candidate = UInt16(1024 + random.index(below: 64_000)) } while sentTo[candidate] != nil
                port = candidate
            default:
                port = nextPort
                nextPort &+= 1
            }
            mappings[key] = port
        }
        sentTo[port, default: []].insert(destination)
        return Endpoint(address: publicAddress, port: port)
    }

    /// Where a datagram from `source` to public `port` goes: to the host, or nowhere.
    func inbound(port: UInt16, from source: Endpoint) -> Endpoint? {
        guard let sent = sentTo[port] else { return nil }
        switch kind {
        case .fullCone: return host
        case .addressRestricted: return sent.contains { $0.address == source.address } ? host : nil
        case .portRestricted, .symmetric, .symmetricSequential: return sent.contains(source) ? host : nil
        }
    }
}
