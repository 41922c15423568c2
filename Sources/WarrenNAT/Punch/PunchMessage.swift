public import WarrenCrypto
public import WarrenWire

/// Hole-punching coordination, sent as control messages inside sessions (so only members
/// can send them, and nobody on the wire sees who wants to reach whom).
///
/// A wants B, whose NAT drops what B did not ask for. A sends a `request` with its own
/// signed record to a rendezvous node R that B's record names and B keeps a session with;
/// R passes it on to B as a `notice` with where it sees A, and tells A where it sees B.
/// Then both send handshakes to each other at once: each side's outgoing packet opens its
/// own NAT for the other's. Which notices a node obeys, and towards which addresses, is
/// `PunchCoordinator`'s decision: never a member's word alone.
///
/// Encoding (big-endian):
/// ```
///  kind(1) = 0x02 ‖ type(1) ‖ public key(32) ‖ seen count(1: 0 or 1) ‖ seen endpoint ‖
///  record length(2) ‖ record (a `PeerRecord`, at most `maxRecordBytes`)
///  endpoint = family(1: 4 or 6) ‖ address(4 or 16) ‖ port(2)
/// ```
/// A request carries no seen endpoint (only a rendezvous node sees where a peer's packets
/// come from).
public struct PunchMessage: Equatable, Sendable {
    /// The first byte of the plaintext, below 0x40 like every control message.
    public static let controlKind: UInt8 = 0x02
    /// `PeerRecord.maxEncodedBytes`: a record the DHT would carry fits.
    public static let maxRecordBytes = 1400

    public enum Kind: UInt8, Sendable {
        /// To a rendezvous node: please tell `peer` that I want to reach it; `record` is mine.
        case request = 1
        /// From a rendezvous node: `peer` wants to reach you (`record` is its record), or
        /// answers your request for it (no record); `seen` is where its packets come from.
        case notice = 2
    }

    public var kind: Kind
    public var peer: Key32
    public var seen: Endpoint?
    public var record: [UInt8]

    public init(kind: Kind, peer: Key32, seen: Endpoint? = nil, record: [UInt8] = []) {
        self.kind = kind
        self.peer = peer
        self.seen = seen
        self.record = record
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 56 + record.count)
        w.write(Self.controlKind)
        w.write(kind.rawValue)
        w.write(bytes: peer.bytes)
        w.write(UInt8(seen == nil ? 0 : 1))
        seen?.encode(into: &w)
        w.writeLongBytes(record)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            guard let kind = Kind(rawValue: try r.readUInt8()) else { throw .invalidField("punch message type") }
            let peer = Key32(copying: try r.readSlice(32))
            let seen: Endpoint?
            switch try r.readUInt8() {
            case 0: seen = nil
            case 1 where kind == .notice: seen = try Endpoint(parsing: &r)
            case let count: throw .invalidField("punch \(kind) seen count \(count)")
            }
            return PunchMessage(kind: kind, peer: peer, seen: seen, record: try r.readLongBytes(maxCount: Self.maxRecordBytes))
        }
    }
}
