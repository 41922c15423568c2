import WarrenNoise
public import WarrenWire

/// A circuit message on one link, a control message inside the session between two
/// neighbouring nodes of the circuit. One IP packet per message, of its own size: no fixed
/// cells (a 1400-byte packet would pay 10% for Tor's, an ACK ten times its size) and no
/// Sphinx header (two public-key operations per packet per hop).
///
/// Encoding: kind(1) = 0x06 ‖ type(1) ‖ circuit ID(4) ‖ counter(8) ‖ body. The circuit ID is
/// chosen at random per link by the node that created the circuit on it, so neighbouring
/// links of one circuit share no identifier; the counter differs per hop too
/// (`CircuitLayer`). A forward or backward body is the payload under one layer per hop still
/// to cross, each ending in a 16-byte tag; a create or created body is a Noise NK message to
/// or from the hop's onion key (counter 0).
public struct CircuitMessage: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x06
    public static let headerByteCount = 14
    /// The largest packet a circuit carries: with three hops' tags and the headers it still
    /// fits one underlay datagram of 1500 bytes.
    public static let circuitMTU = 1360

    public enum Kind: UInt8, Sendable {
        /// From the sender towards the last hop: each hop removes a layer.
        case forward = 1
        /// From the last hop back to the sender: each hop adds a layer.
        case backward = 2
        /// Opens a circuit on this link: the NK request to the receiving hop's onion key.
        case create = 3
        /// The receiving hop's NK reply to `create`.
        case created = 4

        /// The fewest body bytes a message of this kind can have.
        var minimumBodyCount: Int {
            switch self {
            case .forward, .backward: CircuitLayer.tagByteCount
            case .create: NoiseNK.requestOverhead
            case .created: NoiseNK.responseOverhead
            }
        }
    }

    public var kind: Kind
    public var circuitID: UInt32
    public var counter: UInt64
    public var body: [UInt8]

    public init(kind: Kind, circuitID: UInt32, counter: UInt64 = 0, body: [UInt8]) {
        self.kind = kind
        self.circuitID = circuitID
        self.counter = counter
        self.body = body
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: Self.headerByteCount + body.count)
        w.write(Self.controlKind)
        w.write(kind.rawValue)
        w.write(circuitID)
        w.write(counter)
        w.write(bytes: body)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            guard let kind = Kind(rawValue: try r.readUInt8()) else { throw .invalidField("circuit message type") }
            let circuitID = try r.readUInt32()
            let counter = try r.readUInt64()
            let body = r.readRest()
            guard body.count >= kind.minimumBodyCount else {
                throw .truncated(needed: Self.headerByteCount + kind.minimumBodyCount, available: bytes.count)
            }
            return CircuitMessage(kind: kind, circuitID: circuitID, counter: counter, body: body)
        }
    }
}
