import WarrenCrypto
import WarrenWire

/// A map the control thread changes one entry at a time while the packet threads read
/// published copies of it (`RoutingSnapshot`). A dictionary copies every entry, retaining
/// every value, at the first change after a copy was published: at a relay with ten
/// thousand peers, at every handshake (a fifth of a 10,000-member simulation went there).
/// Split in `partCount` dictionaries by the key's low bits, a change copies one part and
/// the list of parts.
struct SplitMap<Key: SplitMapKey, Value: Sendable>: Sendable {
    static var partCount: Int { 64 }

    private var parts = [[Key: Value]](repeating: [:], count: partCount)

    subscript(key: Key) -> Value? {
        @inline(__always) get { parts[key.part & (Self.partCount - 1)][key] }
        set { parts[key.part & (Self.partCount - 1)][key] = newValue }
    }

    var count: Int { parts.reduce(0) { $0 + $1.count } }
}

/// A key whose low bits spread a `SplitMap` evenly: receiver indices are random, and overlay
/// addresses differ in their host part.
protocol SplitMapKey: Hashable, Sendable {
    var part: Int { get }
}

extension UInt32: SplitMapKey {
    var part: Int { Int(truncatingIfNeeded: self) }
}

extension IPv6Address: SplitMapKey {
    var part: Int { Int(truncatingIfNeeded: low) }
}

extension Key32: SplitMapKey {
    /// Public keys are random.
    var part: Int { withUnsafeBytes { Int(truncatingIfNeeded: $0.loadUnaligned(as: UInt64.self)) } }
}

/// What `RoutingTable` claims addresses in: the snapshot's split maps, and its own
/// dictionary of subnets.
protocol RouteTable<Key> {
    associatedtype Key: Hashable
    subscript(key: Key) -> RoutingSnapshot.Route? { get set }
}

extension SplitMap: RouteTable where Value == RoutingSnapshot.Route {}
extension Dictionary: RouteTable where Value == RoutingSnapshot.Route {}
