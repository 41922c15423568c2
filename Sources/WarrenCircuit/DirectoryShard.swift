public import WarrenCrypto

/// Where relay descriptors are kept in the DHT: each relay's descriptor is stored at the
/// nodes closest to the key of its shard, so no single key's nodes hold (or can withhold)
/// the whole directory, and a node looks up eight keys to read all of it. A relay's shard
/// follows from its node key, which the CA certified: a relay cannot choose where it is kept
/// without a new certificate.
public enum DirectoryShard {
    public static let count = 8

    /// The shards as one bit each, for asking a node for several at once.
    public static let all: UInt8 = 0xFF

    /// The shard that keeps `relay`'s descriptor.
    public static func of(_ relay: Key32) -> Int {
        Int(relay[0]) % count
    }

    /// The DHT key of `shard` (0..<count).
    public static func key(_ shard: Int) -> Key32 {
        precondition((0..<count).contains(shard))
        return Blake2b.hash32(Array("warren relay directory shard".utf8), [UInt8(shard)])
    }

    public static func bit(_ shard: Int) -> UInt8 { 1 << UInt8(shard) }
}
