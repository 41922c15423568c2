public import WarrenCrypto
public import WarrenWire

/// Hole-punching coordination, sent as control messages inside sessions (so only members
/// can send them, and nobody on the wire sees who wants to reach whom).
///
/// A wants B, whose NAT drops what B did not ask for. A sends a `request` to a rendezvous
/// node R that B's record names and B keeps a session with; R passes it on to B as a
/// `notice`. Then both send handshakes to each other's candidates at once: each side's
/// outgoing packet opens its own NAT for the other's.
///
/// Encoding: kind(1) = 0x02 ‖ type(1) ‖ public key(32) ‖ candidate count(1) ‖ endpoints.
public struct PunchMessage: Equatable, Sendable {
    /// The first byte of the plaintext, below 0x40 like every control message.
    public static let controlKind: UInt8 = 0x02
    public static let maxCandidates = 8

    public enum Kind: UInt8, Sendable {
        /// To a rendezvous node: please tell `peer` that I want to reach it.
        case request = 1
        /// From a rendezvous node: `peer` wants to reach you, at `candidates`.
        case notice = 2
    }

    public var kind: Kind
    public var peer: Key32
    public var candidates: [Endpoint]

    public init(kind: Kind, peer: Key32, candidates: [Endpoint]) {
        self.kind = kind
        self.peer = peer
        self.candidates = Array(candidates.prefix(Self.maxCandidates))
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 35 + candidates.count * 19)
        w.write(Self.controlKind)
        w.write(kind.rawValue)
        w.write(bytes: peer.bytes)
        w.write(UInt8(candidates.count))
        for c in candidates { c.encode(into: &w) }
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            guard let kind = Kind(rawValue: try r.readUInt8()) else { throw .invalidField("punch message type") }
            let peer = Key32(copying: try r.readSlice(32))
            let count = Int(try r.readUInt8())
            guard count <= Self.maxCandidates else { throw .invalidField("punch candidate count \(count)") }
            var candidates: [Endpoint] = []
            for _ in 0..<count { candidates.append(try Endpoint(parsing: &r)) }
            return PunchMessage(kind: kind, peer: peer, candidates: candidates)
        }
    }
}
