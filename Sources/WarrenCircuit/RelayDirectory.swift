public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

/// The relays this node may build circuits through: the union of the descriptors several
/// sources gave it, the newest per relay. The CA's signatures make a forged relay
/// impossible; what a source can do is withhold relays, steering circuits towards the ones it
/// leaves in. So the list counts as complete only once `minimumSources` distinct nodes gave
/// theirs, and hops are never taken from what a lookup for some other purpose turned up.
public struct RelayDirectory: Sendable {
    public static let minimumSources = 3
    /// Relays held at once: past it, descriptors of relays not yet known are refused. (Each
    /// must be signed by the CA, so only the CA can make a network bigger than this.)
    public static let maxRelays = 16_384

    public enum Outcome: Equatable, Sendable {
        case added
        /// A newer descriptor of a relay already known.
        case updated
        /// No newer than the one held.
        case unchanged
        /// A relay not yet known, with `maxRelays` held.
        case full
        case refused(RelayDescriptorError)
    }

    var entries: [Key32: (descriptor: RelayDescriptor, info: CircuitRelayInfo)] = [:] {
        didSet { version &+= 1 }
    }
    /// No descriptor held expires before this: `expire` runs on every timer of the control
    /// thread, and must not copy thousands of entries each time to find none expired.
    var earliestExpiry = UInt64.max
    /// The nodes whose whole lists it holds.
    public internal(set) var sources: Set<Key32> = []
    /// Changes whenever a relay is added, updated or forgotten, or a new source gave its list:
    /// when to save it again.
    public private(set) var version = 0

    public init() {}

    /// The relays held, expired or not.
    public var count: Int { entries.count }

    /// Whether enough sources gave their lists for the union to be used.
    public var isComplete: Bool { sources.count >= Self.minimumSources }

    /// A descriptor `source` gave (a relay, or a DHT node that stores descriptors).
    public mutating func add(_ descriptor: RelayDescriptor, from source: Key32, authority: AuthorityCertificate,
                             now: UInt64) -> Outcome {
        let outcome = add(descriptor, authority: authority, now: now)
        if case .refused = outcome { return outcome }
        // A new source changes what is saved (it may complete the directory), a known one not.
        if !sources.contains(source) {
            sources.insert(source)
            version &+= 1
        }
        return outcome
    }

    /// A descriptor whose source does not count towards `isComplete`: one a DHT node kept for
    /// its shard (it gives part of the list, not all of it), or one restored from disk.
    public mutating func add(_ descriptor: RelayDescriptor, authority: AuthorityCertificate, now: UInt64) -> Outcome {
        let info: CircuitRelayInfo
        do {
            info = try descriptor.verify(authority: authority, now: now)
        } catch {
            return .refused(error)
        }
        guard let held = entries[info.node] else {
            guard entries.count < Self.maxRelays else { return .full }
            entries[info.node] = (descriptor, info)
            earliestExpiry = min(earliestExpiry, descriptor.expiresAt)
            return .added
        }
        guard descriptor.publishedAt > held.descriptor.publishedAt else { return .unchanged }
        entries[info.node] = (descriptor, info)
        earliestExpiry = min(earliestExpiry, descriptor.expiresAt)
        return .updated
    }

    /// The relays whose descriptors are still valid at `now` (their onion key included).
    public func relays(now: UInt64) -> [CircuitRelayInfo] {
        entries.values.compactMap { entry in
            now < entry.descriptor.expiresAt && entry.descriptor.onionKeys.contains { $0.key == entry.info.onionKey && now < $0.validUntil }
                ? entry.info : nil
        }.sorted { $0.node < $1.node }
    }

    /// Where the relay `node` said it listens, if it is listed.
    public func endpoints(of node: Key32) -> [Endpoint] {
        entries[node]?.descriptor.endpoints ?? []
    }

    /// The descriptors to pass on to others (gossip among relays), still valid at `now`.
    public func descriptors(now: UInt64) -> [RelayDescriptor] {
        entries.values.filter { now < $0.descriptor.expiresAt }.map(\.descriptor)
    }

    /// The descriptors of the shards whose bits are set in `shards`, still valid at `now` (a
    /// DHT node answering for the shards it keeps).
    public func descriptors(inShards shards: UInt8, now: UInt64) -> [RelayDescriptor] {
        entries.filter { shards & DirectoryShard.bit(DirectoryShard.of($0.key)) != 0 && now < $0.value.descriptor.expiresAt }
            .map(\.value.descriptor)
    }

    /// Forgets expired descriptors.
    public mutating func expire(now: UInt64) {
        guard now >= earliestExpiry else { return }
        let kept = entries.filter { now < $0.value.descriptor.expiresAt }
        if kept.count != entries.count { entries = kept }
        earliestExpiry = entries.values.map(\.descriptor.expiresAt).min() ?? .max
    }
}
