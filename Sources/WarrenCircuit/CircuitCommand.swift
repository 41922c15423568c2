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
    /// Cover traffic: the last hop discards it, whatever its size.
    case cover
    /// The flows of `token` (a random secret of the sender's, known only to it and the last
    /// hop) go on this circuit from now on: a circuit built to replace a failed one, through
    /// the same last hop, keeps its flows' translations, so TCP connections inside survive.
    case attach(token: UInt128)
    /// Asks the last hop whether the circuit still carries anything: it answers
    /// `probeReply` with the same nonce.
    case probe(nonce: UInt64)
    case probeReply(nonce: UInt64)

    static let extendType: UInt8 = 0x01
    static let extendedType: UInt8 = 0x02
    static let coverType: UInt8 = 0x03
    static let attachType: UInt8 = 0x04
    static let probeType: UInt8 = 0x05
    static let probeReplyType: UInt8 = 0x06

    /// Whether a payload the last hop read is a command rather than an IP packet.
    public static func isCommand(_ payload: [UInt8]) -> Bool { (payload.first ?? 0) < 0x40 }

    public var encoded: [UInt8] {
        switch self {
        case .extend(let node, let request): [Self.extendType] + node.bytes + request
        case .extended(let reply): [Self.extendedType] + reply
        case .cover: [Self.coverType]
        case .attach(let token): [Self.attachType] + Self.bytes(UInt64(truncatingIfNeeded: token >> 64)) + Self.bytes(UInt64(truncatingIfNeeded: token))
        case .probe(let nonce): [Self.probeType] + Self.bytes(nonce)
        case .probeReply(let nonce): [Self.probeReplyType] + Self.bytes(nonce)
        }
    }

    private static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
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
            // Padding after what these carry is allowed (and ignored): they are padded like
            // packets, so their sizes tell nothing.
            case Self.coverType:
                _ = r.readRest()
                return .cover
            case Self.attachType:
                let high = try r.readUInt64(), low = try r.readUInt64()
                _ = r.readRest()
                return .attach(token: UInt128(high) << 64 | UInt128(low))
            case Self.probeType:
                let nonce = try r.readUInt64()
                _ = r.readRest()
                return .probe(nonce: nonce)
            case Self.probeReplyType:
                let nonce = try r.readUInt64()
                _ = r.readRest()
                return .probeReply(nonce: nonce)
            default:
                throw .unsupported("circuit command")
            }
        }
    }
}
