public import WarrenWire
import WarrenCrypto

/// Kademlia's routing table (§2.2): one bucket per shared-prefix length with our ID, each
/// holding up to `k` contacts ordered from least to most recently seen. A full bucket keeps
/// its old contacts, which have proven to stay up, and parks newcomers in a replacement cache
/// until an old one fails a ping (§2.2 and §4.1).
///
/// A plain value driven by the DHT core: it never sends anything itself, it says whom to ping.
public struct RoutingTable: Sendable {
    public let own: NodeID
    public let k: Int
    var buckets: [Bucket]

    struct Entry: Sendable {
        var contact: Contact
        var lastSeen: Instant
    }

    struct Bucket: Sendable {
        /// Least recently seen first.
        var entries: [Entry] = []
        /// Newest last; bounded by `k`.
        var replacements: [Contact] = []
        var lastTouched: Instant = .zero
        /// The oldest entry, asked to prove it is alive before a newcomer may replace it.
        var probing: NodeID?
    }

    public enum Insertion: Equatable, Sendable {
        case added
        case refreshed
        /// The bucket is full: ping this contact; if it does not answer, call `failed` with it.
        case pingOldest(Contact)
        /// The bucket is full and already probing its oldest entry; the newcomer waits.
        case cached
        case ignored
    }

    public init(own: NodeID, k: Int = 20) {
        self.own = own
        self.k = k
        buckets = Array(repeating: Bucket(), count: NodeID.bitCount)
    }

    func bucketIndex(_ id: NodeID) -> Int? {
        let shared = own.commonPrefixLength(with: id)
        return shared == NodeID.bitCount ? nil : shared
    }

    /// Records that `contact` answered or contacted us (only authenticated traffic counts).
    @discardableResult
    public mutating func seen(_ contact: Contact, now: Instant) -> Insertion {
        guard let b = bucketIndex(contact.id) else { return .ignored }
        buckets[b].lastTouched = now
        if let i = buckets[b].entries.firstIndex(where: { $0.contact.id == contact.id }) {
            var entry = buckets[b].entries.remove(at: i)
            entry.contact.endpoint = contact.endpoint
            entry.lastSeen = now
            buckets[b].entries.append(entry)
            if buckets[b].probing == contact.id { buckets[b].probing = nil }
            return .refreshed
        }
        if buckets[b].entries.count < k {
            buckets[b].entries.append(Entry(contact: contact, lastSeen: now))
            buckets[b].replacements.removeAll { $0.id == contact.id }
            return .added
        }
        buckets[b].replacements.removeAll { $0.id == contact.id }
        buckets[b].replacements.append(contact)
        if buckets[b].replacements.count > k { buckets[b].replacements.removeFirst() }
        guard buckets[b].probing == nil, let oldest = buckets[b].entries.first else { return .cached }
        buckets[b].probing = oldest.contact.id
        return .pingOldest(oldest.contact)
    }

    /// A contact did not answer: drop it and promote the newest replacement.
    public mutating func failed(_ id: NodeID) {
        guard let b = bucketIndex(id) else { return }
        if buckets[b].probing == id { buckets[b].probing = nil }
        guard let i = buckets[b].entries.firstIndex(where: { $0.contact.id == id }) else {
            buckets[b].replacements.removeAll { $0.id == id }
            return
        }
        let lastSeen = buckets[b].entries[i].lastSeen
        buckets[b].entries.remove(at: i)
        if let promoted = buckets[b].replacements.popLast() {
            buckets[b].entries.insert(Entry(contact: promoted, lastSeen: lastSeen), at: 0)
        }
    }

    /// The `count` known contacts closest to `target`, closest first.
    public func closest(to target: NodeID, count: Int) -> [Contact] {
        var all: [(Key32, Contact)] = []
        for bucket in buckets {
            for e in bucket.entries { all.append((e.contact.id.distance(to: target), e.contact)) }
        }
        all.sort { $0.0 < $1.0 }
        return all.prefix(count).map(\.1)
    }

    public func contact(_ id: NodeID) -> Contact? {
        guard let b = bucketIndex(id) else { return nil }
        return buckets[b].entries.first { $0.contact.id == id }?.contact
    }

    public var count: Int { buckets.reduce(0) { $0 + $1.entries.count } }

    /// Contacts per bucket index, for `warren dht`.
    public var bucketSizes: [Int: Int] {
        var sizes: [Int: Int] = [:]
        for (i, b) in buckets.enumerated() where !b.entries.isEmpty { sizes[i] = b.entries.count }
        return sizes
    }

    /// Buckets not touched for `interval` that cover some node (every bucket up to the
    /// deepest non-empty one): look up a random ID in each to keep them fresh (§2.3).
    public func bucketsNeedingRefresh(now: Instant, interval: Duration) -> [Int] {
        guard let deepest = buckets.lastIndex(where: { !$0.entries.isEmpty }) else { return [] }
        return (0...deepest).filter { now.since(buckets[$0].lastTouched) >= interval }
    }

    public mutating func touch(bucket: Int, now: Instant) {
        buckets[bucket].lastTouched = now
    }

    /// Every contact, for saving the table across restarts.
    public var allContacts: [Contact] { buckets.flatMap { $0.entries.map(\.contact) } }
}
