public import WarrenCrypto
import WarrenNoise
public import WarrenWire

/// What the sender asks of a circuit's last hop, or the last hop answers, inside the layers.
/// Such a payload starts with a byte below 0x40; an IP packet's first byte (version 4 or 6)
/// is above, so the last hop tells them apart as a session tells control messages from
/// packets.
///
/// Encoding: extend: 0x01 ‖ next node's public key(32) ‖ NK request to its onion key;
/// extended: 0x02 ‖ its NK reply.
public enum CircuitCommand: Equatable, Sendable {
    /// Make a circuit to `node` and pass it the sender's NK request (a telescoping build).
    case extend(node: Key32, request: [UInt8])
    /// The next hop's NK reply: the circuit now reaches it.
    case extended(reply: [UInt8])

    static let extendType: UInt8 = 0x01
    static let extendedType: UInt8 = 0x02

    /// Whether a payload the last hop read is a command rather than an IP packet.
    public static func isCommand(_ payload: [UInt8]) -> Bool { (payload.first ?? 0) < 0x40 }

    public var encoded: [UInt8] {
        switch self {
        case .extend(let node, let request): [Self.extendType] + node.bytes + request
        case .extended(let reply): [Self.extendedType] + reply
        }
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            switch try r.readUInt8() {
            case Self.extendType:
                let node = Key32(bytes: try r.readBytes(32))!
                let request = r.readRest()
                guard request.count >= NoiseNK.requestOverhead else { throw .invalidField("extend request of \(request.count) bytes") }
                return .extend(node: node, request: request)
            case Self.extendedType:
                let reply = r.readRest()
                guard reply.count >= NoiseNK.responseOverhead else { throw .invalidField("extended reply of \(reply.count) bytes") }
                return .extended(reply: reply)
            default:
                throw .unsupported("circuit command")
            }
        }
    }
}
