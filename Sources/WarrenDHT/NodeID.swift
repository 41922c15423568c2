public import WarrenCrypto

/// A node's place in the DHT's 256-bit key space: a hash of its public key, so nobody
/// chooses where they sit (and which records they store) freely.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let raw: Key32

    public init(raw: Key32) { self.raw = raw }

    public init(publicKey: Key32) {
        raw = Blake2b.hash32(Array("warren node id".utf8), publicKey.bytes)
    }

    public static let bitCount = 256

    /// XOR distance (Kademlia §2.1), as a 256-bit value compared most significant byte first.
    public func distance(to other: NodeID) -> Key32 {
        var out = Key32()
        raw.withUnsafeBytes { a in
            other.raw.withUnsafeBytes { b in
                out.withUnsafeMutableBytes { o in
                    for i in 0..<Key32.byteCount { o[i] = a[i] ^ b[i] }
                }
            }
        }
        return out
    }

    /// The number of leading bits `self` and `other` share (256 for the same ID).
    public func commonPrefixLength(with other: NodeID) -> Int {
        distance(to: other).withUnsafeBytes { d in
            for i in 0..<Key32.byteCount where d[i] != 0 {
                return i * 8 + d[i].leadingZeroBitCount
            }
            return Self.bitCount
        }
    }

    public static func < (l: NodeID, r: NodeID) -> Bool { l.raw < r.raw }

    public var description: String { Encoding.hex(raw.bytes.prefix(8)) }
}
