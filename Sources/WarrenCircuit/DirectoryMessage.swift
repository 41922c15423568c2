public import WarrenWire

/// How relay descriptors travel between nodes, as control messages inside sessions: a node
/// asks a relay for every descriptor it holds, and relays pass on each new descriptor to the
/// relays they are connected to (gossip), so every relay's list converges on the union. A
/// relay also has its descriptor kept in the DHT (`store`, at the nodes closest to its
/// `DirectoryShard`'s key), and a node asks those nodes for the shards they keep
/// (`shardRequest`): both are answered with descriptor messages. Before it publishes, a relay
/// asks a few peers to dial back the endpoints it would list (`reachCheck`), and lists only
/// those some peer `reached`.
///
/// Encoding: kind(1) = 0x07 ‖ type(1) ‖ body. A request has no body; a shard request carries
/// one byte with a bit per shard (at least one set); descriptor and store messages carry one
/// `RelayDescriptor`, so each fits a packet; a reach check (1 to 4 endpoints) and its answer
/// (0 to 4) carry count(1) ‖ endpoints.
public enum DirectoryMessage: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x07

    case request
    case descriptor(RelayDescriptor)
    /// Keep this relay's own descriptor under its shard's key.
    case store(RelayDescriptor)
    /// Every descriptor kept for the shards whose bits are set (`DirectoryShard.bit`).
    case shardRequest(shards: UInt8)
    /// Send a STUN Binding request to each of these endpoints of mine, and say which answered.
    case reachCheck([Endpoint])
    /// The endpoints of a reach check that answered.
    case reached([Endpoint])

    static let requestType: UInt8 = 1
    static let descriptorType: UInt8 = 2
    static let storeType: UInt8 = 3
    static let shardRequestType: UInt8 = 4
    static let reachCheckType: UInt8 = 5
    static let reachedType: UInt8 = 6

    public var encoded: [UInt8] {
        switch self {
        case .request: [Self.controlKind, Self.requestType]
        case .descriptor(let descriptor): [Self.controlKind, Self.descriptorType] + descriptor.encoded
        case .store(let descriptor): [Self.controlKind, Self.storeType] + descriptor.encoded
        case .shardRequest(let shards): [Self.controlKind, Self.shardRequestType, shards]
        case .reachCheck(let endpoints): Self.encode(endpoints, type: Self.reachCheckType)
        case .reached(let endpoints): Self.encode(endpoints, type: Self.reachedType)
        }
    }

    private static func encode(_ endpoints: [Endpoint], type: UInt8) -> [UInt8] {
        precondition(endpoints.count <= RelayDescriptor.maxEndpoints)
        var w = WireWriter(capacity: 3 + 19 * endpoints.count)
        w.write(controlKind)
        w.write(type)
        w.write(UInt8(endpoints.count))
        for endpoint in endpoints { endpoint.encode(into: &w) }
        return w.bytes
    }

    private static func endpoints(in bytes: [UInt8], allowed: ClosedRange<Int>) throws(WireError) -> [Endpoint] {
        try WireReader.decode(Array(bytes[2...])) { (r) throws(WireError) in
            let count = Int(try r.readUInt8())
            guard allowed.contains(count) else { throw .invalidField("endpoint count \(count)") }
            var endpoints: [Endpoint] = []
            for _ in 0..<count { endpoints.append(try Endpoint(parsing: &r)) }
            return endpoints
        }
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= 2 else { throw .truncated(needed: 2, available: bytes.count) }
        guard bytes[0] == Self.controlKind else { throw .invalidField("control kind") }
        switch bytes[1] {
        case Self.requestType:
            guard bytes.count == 2 else { throw .invalidField("directory request of \(bytes.count) bytes") }
            self = .request
        case Self.descriptorType:
            self = .descriptor(try RelayDescriptor(parsing: Array(bytes[2...])))
        case Self.storeType:
            self = .store(try RelayDescriptor(parsing: Array(bytes[2...])))
        case Self.shardRequestType:
            guard bytes.count == 3 else { throw .invalidField("shard request of \(bytes.count) bytes") }
            guard bytes[2] != 0 else { throw .invalidField("shard request for no shard") }
            self = .shardRequest(shards: bytes[2])
        case Self.reachCheckType:
            self = .reachCheck(try Self.endpoints(in: bytes, allowed: 1...RelayDescriptor.maxEndpoints))
        case Self.reachedType:
            self = .reached(try Self.endpoints(in: bytes, allowed: 0...RelayDescriptor.maxEndpoints))
        default:
            throw .unsupported("directory message type \(bytes[1])")
        }
    }
}
