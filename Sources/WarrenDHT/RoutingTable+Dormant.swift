public import WarrenWire

/// Dormant contacts: the ones a bucket dropped for not answering, remembered (a few per
/// bucket) and pinged again now and then. A departed node fails its retries and is forgotten;
/// but when the network was split in two, each side dropped the other, and without a memory
/// of it nobody would ever contact the other side again: every lookup and every refresh goes
/// only to contacts in the table. One retry per bucket per refresh interval is enough for the
/// halves to find each other (warren-sim --partition).
extension RoutingTable {
    struct Dormant: Sendable {
        let contact: Contact
        /// Retries it did not answer.
        var misses = 0
    }

    /// Retries a dormant contact may miss before it is forgotten.
    static let dormantRetries = 4

    /// One dormant contact per bucket, at most once per `interval` per bucket: the one that
    /// missed fewest retries, most recently dropped first. Ping them; `seen` brings back
    /// those that answer, `failed` counts a miss for the others.
    public mutating func dormantToRetry(now: Instant, interval: Duration) -> [Contact] {
        var retry: [Contact] = []
        for b in buckets.indices where !buckets[b].dormant.isEmpty && now >= buckets[b].nextDormantRetry {
            buckets[b].nextDormantRetry = now + interval
            let fewest = buckets[b].dormant.map(\.misses).min() ?? 0
            if let pick = buckets[b].dormant.lastIndex(where: { $0.misses == fewest }) {
                retry.append(buckets[b].dormant[pick].contact)
            }
        }
        return retry
    }

    /// How many dropped contacts are remembered.
    public var dormantCount: Int { buckets.reduce(0) { $0 + $1.dormant.count } }

    mutating func remember(_ contact: Contact, bucket b: Int) {
        guard maxDormant > 0 else { return }
        buckets[b].dormant.removeAll { $0.contact.id == contact.id }
        buckets[b].dormant.append(Dormant(contact: contact))
        if buckets[b].dormant.count > maxDormant { buckets[b].dormant.removeFirst() }
    }

    mutating func missedRetry(_ id: NodeID, bucket b: Int) {
        guard let i = buckets[b].dormant.firstIndex(where: { $0.contact.id == id }) else { return }
        buckets[b].dormant[i].misses += 1
        if buckets[b].dormant[i].misses >= Self.dormantRetries { buckets[b].dormant.remove(at: i) }
    }
}
