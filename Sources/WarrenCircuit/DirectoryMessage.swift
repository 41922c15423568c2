public import WarrenWire

/// How relay descriptors travel between nodes, as control messages inside sessions: a node
/// asks a relay for every descriptor it holds, and relays pass on each new descriptor to the
/// relays they are connected to (gossip), so every relay's list converges on the union.
///
/// Encoding: kind(1) = 0x07 ‖ type(1) ‖ body. A request has no body; a descriptor message
/// carries one `RelayDescriptor`, so each fits a packet.
public enum DirectoryMessage: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x07

    case request
    case descriptor(RelayDescriptor)

    static let requestType: UInt8 = 1
    static let descriptorType: UInt8 = 2

    public var encoded: [UInt8] {
        switch self {
        case .request: [Self.controlKind, Self.requestType]
        case .descriptor(let descriptor): [Self.controlKind, Self.descriptorType] + descriptor.encoded
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
        default:
            throw .unsupported("directory message type \(bytes[1])")
        }
    }
}
