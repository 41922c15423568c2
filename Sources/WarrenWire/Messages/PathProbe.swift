/// A request and its echo, as control messages inside the session. An echo goes back on the
/// path its request came by. `warren ping` sends requests on the peer's route to measure its
/// round trip; the session manager sends them straight to a relayed peer's addresses, and an
/// echo that comes back directly proves the direct path works both ways.
///
/// Encoding: kind(1) = 0x04 ‖ type(1) ‖ id(4).
public struct PathProbe: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x04

    public enum Kind: UInt8, Sendable {
        case request = 1
        case reply = 2
    }

    public var kind: Kind
    public var id: UInt32

    public init(kind: Kind, id: UInt32) {
        self.kind = kind
        self.id = id
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 6)
        w.write(Self.controlKind)
        w.write(kind.rawValue)
        w.write(id)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            guard let kind = Kind(rawValue: try r.readUInt8()) else { throw .invalidField("probe type") }
            return PathProbe(kind: kind, id: try r.readUInt32())
        }
    }
}
