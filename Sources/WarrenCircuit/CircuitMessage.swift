public import WarrenWire

/// A layered circuit message on one link, a control message inside the session between two
/// neighbouring nodes of the circuit. One IP packet per message, of its own size: no fixed
/// cells (a 1400-byte packet would pay 10% for Tor's, an ACK ten times its size) and no
/// Sphinx header (two public-key operations per packet per hop).
///
/// Encoding: kind(1) = 0x06 ‖ direction(1) ‖ circuit ID(4) ‖ counter(8) ‖ body, the body being
/// the payload under one layer per hop still to cross, each ending in a 16-byte tag. The
/// circuit ID is chosen at random per link, so neighbouring links of one circuit share no
/// identifier; the counter differs per hop too (`CircuitLayer`).
public struct CircuitMessage: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x06
    public static let headerByteCount = 14

    public enum Direction: UInt8, Sendable {
        /// From the sender towards the last hop: each hop removes a layer.
        case forward = 1
        /// From the last hop back to the sender: each hop adds a layer.
        case backward = 2
    }

    public var direction: Direction
    public var circuitID: UInt32
    public var counter: UInt64
    public var body: [UInt8]

    public init(direction: Direction, circuitID: UInt32, counter: UInt64, body: [UInt8]) {
        self.direction = direction
        self.circuitID = circuitID
        self.counter = counter
        self.body = body
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: Self.headerByteCount + body.count)
        w.write(Self.controlKind)
        w.write(direction.rawValue)
        w.write(circuitID)
        w.write(counter)
        w.write(bytes: body)
        return w.bytes
    }

    /// Decodes the header; the body must hold at least one layer's tag.
    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            guard let direction = Direction(rawValue: try r.readUInt8()) else { throw .invalidField("circuit direction") }
            let circuitID = try r.readUInt32()
            let counter = try r.readUInt64()
            let body = r.readRest()
            guard body.count >= CircuitLayer.tagByteCount else {
                throw .truncated(needed: Self.headerByteCount + CircuitLayer.tagByteCount, available: bytes.count)
            }
            return CircuitMessage(direction: direction, circuitID: circuitID, counter: counter, body: body)
        }
    }
}
