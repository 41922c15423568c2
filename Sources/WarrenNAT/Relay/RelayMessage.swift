public import WarrenCrypto
public import WarrenWire

/// Relay coordination, sent as control messages inside sessions.
///
/// A wants B but no direct path may exist. A sends a `request` to a relay node R that B's
/// record names as a rendezvous node. R, if its certificate has the relay role and it has a
/// session with B, binds a pair of channels and sends each side a `bound`: "datagrams for
/// this peer go to me in envelopes on this channel". A and B then run their own end-to-end
/// session through R, which rewrites the channel and sends the datagram on, unread.
///
/// Encoding: kind(1) = 0x05 ‖ type(1) ‖ public key(32) ‖ channel(4, bound only).
public struct RelayMessage: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x05

    public enum Kind: Equatable, Sendable {
        /// To a relay: join me to `peer` (again, to keep the channels bound).
        case request
        /// From a relay: reach `peer` through me on `channel`.
        case bound(channel: UInt32)
    }

    public var kind: Kind
    public var peer: Key32

    public init(kind: Kind, peer: Key32) {
        self.kind = kind
        self.peer = peer
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 38)
        w.write(Self.controlKind)
        switch kind {
        case .request:
            w.write(UInt8(1))
            w.write(bytes: peer.bytes)
        case .bound(let channel):
            w.write(UInt8(2))
            w.write(bytes: peer.bytes)
            w.write(channel)
        }
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            let type = try r.readUInt8()
            let peer = Key32(copying: try r.readSlice(32))
            switch type {
            case 1:
                return RelayMessage(kind: .request, peer: peer)
            case 2:
                let channel = try r.readUInt32()
                guard channel != 0 else { throw .invalidField("relay channel 0") }
                return RelayMessage(kind: .bound(channel: channel), peer: peer)
            default:
                throw .invalidField("relay message type")
            }
        }
    }
}
