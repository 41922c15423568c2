public import WarrenCrypto

/// A node's place in the DHT's 256-bit key space: a hash of its public key, so nobody
/// chooses where they sit (and which records they store) freely.
///
/// Kept as four big-endian words, most significant first, so XOR distance, comparison and
/// shared-prefix length are a few integer operations: every answer to a lookup ranks the
/// routing table by distance, and a simulated network of 100k nodes does that millions of times.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    public init(raw: Key32) {
        (w0, w1, w2, w3) = raw.withUnsafeBytes { b in
            (UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        }
    }

    public init(publicKey: Key32) {
        self.init(raw: Blake2b.hash32(Array("warren node id".utf8), publicKey.bytes))
    }

    /// The 32 bytes (on the wire, in hashes).
    public var raw: Key32 {
        var key = Key32()
        key.withUnsafeMutableBytes { b in
            b.storeBytes(of: w0.bigEndian, toByteOffset: 0, as: UInt64.self)
            b.storeBytes(of: w1.bigEndian, toByteOffset: 8, as: UInt64.self)
            b.storeBytes(of: w2.bigEndian, toByteOffset: 16, as: UInt64.self)
            b.storeBytes(of: w3.bigEndian, toByteOffset: 24, as: UInt64.self)
        }
        return key
    }

    public static let bitCount = 256

    /// XOR distance (Kademlia §2.1), as a 256-bit value compared most significant byte first.
    public func distance(to other: NodeID) -> Key32 {
        let d = xorDistance(to: other)
        return NodeID(words: d.w0, d.w1, d.w2, d.w3).raw
    }

    /// The same distance as a value that compares without touching bytes.
    func xorDistance(to other: NodeID) -> Distance {
        Distance(w0: w0 ^ other.w0, w1: w1 ^ other.w1, w2: w2 ^ other.w2, w3: w3 ^ other.w3)
    }

    /// Whether `a` is nearer this ID than `b` is.
    public func isNearer(_ a: NodeID, than b: NodeID) -> Bool {
        a.xorDistance(to: self) < b.xorDistance(to: self)
    }

    /// The number of leading bits `self` and `other` share (256 for the same ID).
    public func commonPrefixLength(with other: NodeID) -> Int {
        let d = xorDistance(to: other)
        if d.w0 != 0 { return d.w0.leadingZeroBitCount }
        if d.w1 != 0 { return 64 + d.w1.leadingZeroBitCount }
        if d.w2 != 0 { return 128 + d.w2.leadingZeroBitCount }
        if d.w3 != 0 { return 192 + d.w3.leadingZeroBitCount }
        return Self.bitCount
    }

    init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    public static func < (l: NodeID, r: NodeID) -> Bool {
        (l.w0, l.w1, l.w2, l.w3) < (r.w0, r.w1, r.w2, r.w3)
    }

    public var description: String { Encoding.hex(raw.bytes.prefix(8)) }
}

/// An XOR distance between two IDs: a 256-bit number in four big-endian words.
struct Distance: Hashable, Sendable, Comparable {
    let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    static func < (l: Distance, r: Distance) -> Bool {
        (l.w0, l.w1, l.w2, l.w3) < (r.w0, r.w1, r.w2, r.w3)
    }
}
