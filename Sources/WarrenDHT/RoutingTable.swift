public import WarrenWire
import WarrenCrypto

/// Kademlia's routing table (§2.2): one bucket per shared-prefix length with our ID, each
/// holding up to `k` contacts ordered from least to most recently seen. A full bucket keeps
/// its old contacts, which have proven to stay up, and parks newcomers in a replacement cache
/// until an old one fails a ping (§2.2 and §4.1).
///
/// A plain value driven by the DHT core: it never sends anything itself, it says whom to ping.
///
/// With `staleAfter`, entries not heard from for that long are probed (`staleEntriesToProbe`),
/// one per bucket at a time, so a departed node leaves every table within minutes instead of
/// lingering where nobody happens to query it (deep, never-full buckets: exactly the nodes
/// asked about keys near it); and a full bucket pings its oldest entry for a newcomer only if
/// that entry is stale, not on every newcomer.
///
/// With `maxFailures` above 1, a contact that fails to answer stays (unless a replacement is
/// waiting) until it has failed that many times in a row, as Kademlia §4.1 suggests: one lost
/// packet does not empty a bucket that nothing refills. Until it answers again it is not
/// handed out by `closest`.
///
/// Buckets exist up to the deepest one ever used (about log2(network size / k) of the 256), so
/// a table costs a few kilobytes, not 256 empty buckets: the simulator runs 100k of them.
public struct RoutingTable: Sendable {
    public let own: NodeID
    public let k: Int
    /// nil: never probe; ping the oldest entry for every newcomer to a full bucket (§2.2).
    public let staleAfter: Duration?
    /// Failures in a row after which a contact is dropped even with no replacement waiting.
    public let maxFailures: Int
    /// Dropped contacts remembered per bucket and retried now and then (0: forget them).
    public let maxDormant: Int
    var buckets: [Bucket] = []

    struct Entry: Sendable {
        var contact: Contact
        var lastSeen: Instant
        /// Requests in a row it did not answer.
        var failures = 0
    }

    struct Bucket: Sendable {
        /// Least recently seen first.
        var entries: [Entry] = []
        /// Newest last; bounded by `k`.
        var replacements: [Contact] = []
        /// When a lookup last ran for an ID in its range.
        var lastTouched: Instant = .zero
        /// The oldest entry, asked to prove it is alive before a newcomer may replace it.
        var probing: NodeID?
        /// Contacts dropped for not answering, most recently dropped last (RoutingTable+Dormant).
        var dormant: [Dormant] = []
        var nextDormantRetry: Instant = .zero
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

    public init(own: NodeID, k: Int = 20, staleAfter: Duration? = nil, maxFailures: Int = 1, maxDormant: Int = 0) {
        precondition(maxFailures >= 1 && maxDormant >= 0)
        self.own = own
        self.k = k
        self.staleAfter = staleAfter
        self.maxFailures = maxFailures
        self.maxDormant = maxDormant
    }

    func bucketIndex(_ id: NodeID) -> Int? {
        let shared = own.commonPrefixLength(with: id)
        return shared == NodeID.bitCount ? nil : shared
    }

    /// Records that `contact` answered or contacted us (only authenticated traffic counts).
    @discardableResult
    public mutating func seen(_ contact: Contact, now: Instant) -> Insertion {
        guard let b = bucketIndex(contact.id) else { return .ignored }
        if b >= buckets.count { buckets += Array(repeating: Bucket(), count: b + 1 - buckets.count) }
        if !buckets[b].dormant.isEmpty { buckets[b].dormant.removeAll { $0.contact.id == contact.id } }
        if let i = buckets[b].entries.firstIndex(where: { $0.contact.id == contact.id }) {
            var entry = buckets[b].entries.remove(at: i)
            entry.contact.endpoint = contact.endpoint
            entry.lastSeen = now
            entry.failures = 0
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
        if let staleAfter, now.since(oldest.lastSeen) < staleAfter { return .cached }
        buckets[b].probing = oldest.contact.id
        return .pingOldest(oldest.contact)
    }

    /// The least recently seen entry of each bucket, if it has not been heard from for
    /// `staleAfter` and its bucket is not probing already: ping them, and call `failed` with
    /// those that do not answer. Empty without `staleAfter`.
    public mutating func staleEntriesToProbe(now: Instant) -> [Contact] {
        guard let staleAfter else { return [] }
        var stale: [Contact] = []
        for b in buckets.indices where buckets[b].probing == nil {
            guard let oldest = buckets[b].entries.first, now.since(oldest.lastSeen) >= staleAfter else { continue }
            buckets[b].probing = oldest.contact.id
            stale.append(oldest.contact)
        }
        return stale
    }

    /// A contact did not answer: replace it with the newest replacement, or drop it once it
    /// has failed `maxFailures` times in a row.
    public mutating func failed(_ id: NodeID) {
        guard let b = bucketIndex(id), b < buckets.count else { return }
        if buckets[b].probing == id { buckets[b].probing = nil }
        guard let i = buckets[b].entries.firstIndex(where: { $0.contact.id == id }) else {
            buckets[b].replacements.removeAll { $0.id == id }
            missedRetry(id, bucket: b)
            return
        }
        buckets[b].entries[i].failures += 1
        let lastSeen = buckets[b].entries[i].lastSeen
        if let promoted = buckets[b].replacements.popLast() {
            remember(buckets[b].entries.remove(at: i).contact, bucket: b)
            buckets[b].entries.insert(Entry(contact: promoted, lastSeen: lastSeen), at: 0)
        } else if buckets[b].entries[i].failures >= maxFailures {
            remember(buckets[b].entries.remove(at: i).contact, bucket: b)
        }
    }

    /// The `count` known contacts closest to `target`, closest first; not those whose last
    /// request failed.
    ///
    /// Buckets come in distance order, so only the buckets that contribute are sorted. With
    /// t = the prefix `target` shares with us: contacts in bucket t agree with the target on
    /// bit t (closest); contacts in deeper buckets all differ from it first at bit t (next);
    /// then bucket t−1, t−2, …, 0, each farther than the one before.
    public func closest(to target: NodeID, count: Int) -> [Contact] {
        guard count > 0 else { return [] }
        var result: [Contact] = []
        result.reserveCapacity(count)
        var group: [(Distance, Contact)] = []
        func take(_ range: Range<Int>) {
            group.removeAll(keepingCapacity: true)
            for b in range {
                for e in buckets[b].entries where e.failures == 0 {
                    group.append((e.contact.id.xorDistance(to: target), e.contact))
                }
            }
            group.sort { $0.0 < $1.0 }
            for (_, c) in group.prefix(count - result.count) { result.append(c) }
        }
        let t = min(own.commonPrefixLength(with: target), buckets.count)
        if t < buckets.count { take(t..<t + 1) }
        if result.count < count, t + 1 < buckets.count { take(t + 1..<buckets.count) }
        var b = t - 1
        while result.count < count, b >= 0 {
            take(b..<b + 1)
            b -= 1
        }
        return result
    }

    public func contact(_ id: NodeID) -> Contact? {
        guard let b = bucketIndex(id), b < buckets.count else { return nil }
        return buckets[b].entries.first { $0.contact.id == id }?.contact
    }

    public var count: Int { buckets.reduce(0) { $0 + $1.entries.count } }

    /// Contacts per bucket index, for `warren dht`.
    public var bucketSizes: [Int: Int] {
        var sizes: [Int: Int] = [:]
        for (i, b) in buckets.enumerated() where !b.entries.isEmpty { sizes[i] = b.entries.count }
        return sizes
    }

    /// Buckets with room, up to the deepest non-empty one, for whose range no lookup ran in
    /// `interval`: look up a random ID in each to fill them (§2.3, "refresh any bucket to
    /// which it has not performed a node lookup"). Contacts seen do not count: a bucket whose
    /// two contacts keep talking to us while the network grows around them stays at two.
    /// A full bucket needs no refresh (its silent contacts are probed, `staleAfter`).
    public func bucketsNeedingRefresh(now: Instant, interval: Duration) -> [Int] {
        guard let deepest = buckets.lastIndex(where: { !$0.entries.isEmpty }) else { return [] }
        return (0...deepest).filter { buckets[$0].entries.count < k && now.since(buckets[$0].lastTouched) >= interval }
    }

    public mutating func touch(bucket: Int, now: Instant) {
        guard bucket < buckets.count else { return }
        buckets[bucket].lastTouched = now
    }

    /// A lookup for `target` starts: its bucket needs no refresh for a while.
    public mutating func touch(lookingUp target: NodeID, now: Instant) {
        if let b = bucketIndex(target) { touch(bucket: b, now: now) }
    }

    /// Every contact, for saving the table across restarts.
    public var allContacts: [Contact] { buckets.flatMap { $0.entries.map(\.contact) } }

    /// The contacts `closest` answers from: those whose last request did not fail.
    public var answerableContacts: [Contact] { buckets.flatMap { $0.entries.filter { $0.failures == 0 }.map(\.contact) } }
}
