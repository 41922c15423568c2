import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenDHT

// Behaviour added while running the DHT at scale in the simulator (Sources/warren-sim):
// word-wise node IDs, bucket-ordered `closest`, lazily allocated buckets, stalled queries
// that free their lookup slot, the response-time estimator, request-ID-ordered timers.

/// A random ID from a seeded stream.
private func randomID(_ rng: inout SeededRandom) -> NodeID {
    var raw = Key32()
    raw.withUnsafeMutableBytes { rng.fill($0) }
    return NodeID(raw: raw)
}

@Suite("Node IDs as words")
struct NodeIDWordsTests {
    @Test("an ID keeps its bytes, and orders and measures distance as its bytes do")
    func matchesBytes() {
        var rng = SeededRandom(seed: 31)
        let ids = (0..<64).map { _ in randomID(&rng) }
        for a in ids {
            #expect(NodeID(raw: a.raw) == a)
            for b in ids.prefix(16) {
                #expect((a < b) == (a.raw < b.raw))
                var xor = Key32()
                a.raw.withUnsafeBytes { x in b.raw.withUnsafeBytes { y in xor.withUnsafeMutableBytes { o in
                    for i in 0..<32 { o[i] = x[i] ^ y[i] }
                } } }
                #expect(a.distance(to: b) == xor)
                #expect((a.xorDistance(to: b) < a.xorDistance(to: ids[0])) == (a.distance(to: b) < a.distance(to: ids[0])))
            }
        }
    }

    @Test("the shared prefix is counted across word boundaries", arguments: [63, 64, 127, 128, 191, 192, 254])
    func prefixAcrossWords(bit: Int) {
        let base = contact(5).id
        #expect(base.commonPrefixLength(with: id(near: base, sharing: bit)) == bit)
    }
}

@Suite("Routing table at scale")
struct RoutingTableScaleTests {
    /// A table filled from many random contacts, so that buckets are full and deep.
    func fullTable(k: Int = 8) -> (RoutingTable, [Contact]) {
        var t = RoutingTable(own: contact(0).id, k: k)
        let all = (1...2000).map(contact)
        for c in all { t.seen(c, now: .zero) }
        return (t, all.filter { t.contact($0.id) != nil })
    }

    @Test("closest visits buckets in distance order and agrees with sorting every contact")
    func closestMatchesBruteForce() {
        let (t, stored) = fullTable()
        var rng = SeededRandom(seed: 77)
        var targets = (0..<40).map { _ in randomID(&rng) }
        targets.append(t.own)
        targets += [0, 1, 2, 5, 9, 30, 200].map { id(near: t.own, sharing: $0, tail: 0x5a) }
        for target in targets {
            for count in [1, 8, 20, 200] {
                let expected = stored.sorted { $0.id.distance(to: target) < $1.id.distance(to: target) }.prefix(count)
                #expect(t.closest(to: target, count: count) == Array(expected))
            }
        }
        #expect(t.closest(to: targets[0], count: 0).isEmpty)
    }

    @Test("buckets are allocated only as deep as contacts go")
    func lazyBuckets() {
        let (t, stored) = fullTable()
        let deepest = stored.map { t.own.commonPrefixLength(with: $0.id) }.max()!
        #expect(t.buckets.count == deepest + 1)
        #expect(t.buckets.count < 32)
        var empty = RoutingTable(own: contact(0).id)
        #expect(empty.buckets.isEmpty)
        // Asking about, failing and touching IDs in buckets that were never allocated is harmless.
        let far = id(near: empty.own, sharing: 200)
        #expect(empty.contact(far) == nil)
        empty.failed(far)
        empty.touch(bucket: 100, now: .zero)
        #expect(empty.bucketsNeedingRefresh(now: Instant.zero + .seconds(10_000), interval: .seconds(1)).isEmpty)
        #expect(empty.closest(to: far, count: 5).isEmpty)
        #expect(empty.seen(Contact(publicKey: contact(9).publicKey, endpoint: contact(9).endpoint), now: .zero) == .added)
        #expect(empty.count == 1)
    }
}

@Suite("Stalled queries")
struct StalledQueryTests {
    @Test("a query unanswered after the stall time frees its slot but may still answer")
    func stallFreesSlot() {
        let network = (1...10).map(contact)
        let target = contact(500).id
        var lookup = Lookup(target: target, seeds: network, k: 6, alpha: 3, timeout: .seconds(2), stallAfter: .milliseconds(300))
        let first = lookup.next(now: .zero)
        #expect(first.count == 3)
        #expect(lookup.nextWakeup(after: .zero) == Instant.zero + .milliseconds(300))
        #expect(lookup.next(now: Instant.zero + .milliseconds(299)).isEmpty)
        // Stalled: three more may go out, while the first three still wait for their answers.
        let second = lookup.next(now: Instant.zero + .milliseconds(300))
        #expect(second.count == 3)
        #expect(Set(second.map(\.id)).isDisjoint(with: Set(first.map(\.id))))
        #expect(lookup.nextWakeup(after: Instant.zero + .milliseconds(300)) == Instant.zero + .milliseconds(600))
        #expect(lookup.nextDeadline == Instant.zero + .seconds(2))
        // A late answer from a stalled query still counts.
        lookup.answered(by: first[0].id, with: [])
        #expect(lookup.closest.contains(first[0]))
        // After the timeout the other stalled ones fail.
        #expect(lookup.expire(now: Instant.zero + .seconds(2)).count == 2)
    }

    @Test("without a stall time a silent query holds its slot until the timeout")
    func noStall() {
        let network = (1...10).map(contact)
        var lookup = Lookup(target: contact(501).id, seeds: network, k: 5, alpha: 3, timeout: .seconds(2))
        #expect(lookup.next(now: .zero).count == 3)
        #expect(lookup.next(now: Instant.zero + .milliseconds(1999)).isEmpty)
        #expect(lookup.nextWakeup(after: .zero) == Instant.zero + .seconds(2))
    }

    @Test("the response timer follows RFC 6298 and bounds the stall time")
    func responseTimer() {
        var timer = ResponseTimer()
        #expect(timer.stallAfter(floor: .milliseconds(100), ceiling: .seconds(2)) == .seconds(2))
        timer.add(.milliseconds(80))
        #expect(timer.smoothed == .milliseconds(80))
        #expect(timer.variation == .milliseconds(40))
        #expect(timer.stallAfter(floor: .milliseconds(100), ceiling: .seconds(2)) == .milliseconds(160))
        timer.add(.milliseconds(160))
        // RTTVAR = 3/4 · 40 + 1/4 · |80 − 160| = 50; SRTT = 7/8 · 80 + 1/8 · 160 = 90.
        #expect(timer.variation == .milliseconds(50))
        #expect(timer.smoothed == .milliseconds(90))
        #expect(timer.stallAfter(floor: .milliseconds(100), ceiling: .seconds(2)) == .milliseconds(190))
        #expect(timer.stallAfter(floor: .milliseconds(100), ceiling: .milliseconds(150)) == .milliseconds(150))
        for _ in 0..<50 { timer.add(.milliseconds(1)) }
        #expect(timer.stallAfter(floor: .milliseconds(100), ceiling: .seconds(2)) == .milliseconds(100))
    }

    @Test("a node's lookup past a departed contact asks the next one after the stall time, not the timeout")
    func nodeStalls() {
        let net = MiniNetwork(count: 30)
        net.bootstrap()
        for i in net.nodes.indices {
            var a: [DHTAction] = []
            net.nodes[i].publish(net.record(of: i), under: net.addressKey(of: i), now: net.now, into: &a)
            net.run(a, from: i)
        }
        // Every node the asker would query first is gone.
        let asker = 10, target = 20
        let key = net.addressKey(of: target)
        let firstAsked = net.nodes[asker].table.closest(to: key, count: 3).compactMap(net.index(of:))
        net.offline = Set(firstAsked)
        var actions: [DHTAction] = []
        let id = net.nodes[asker].findValue(key, for: .address, now: net.now.instant, into: &actions)
        net.run(actions, from: asker)
        #expect(net.finished[asker]?.contains { $0.id == id } != true)
        // Instant answers so far: the stall time is the floor.
        let stall = net.nodes[asker].settings.minimumStall
        #expect(net.nodes[asker].nextDeadline() == net.now.instant + stall)
        net.now.instant = net.now.instant + stall
        var more: [DHTAction] = []
        net.nodes[asker].handleTimers(now: net.now, random: &net.rng, into: &more)
        net.run(more, from: asker)
        let result = net.finished[asker]?.first { $0.id == id }
        #expect(result?.records.contains(net.record(of: target)) == true)
        #expect(result.map { $0.duration < net.nodes[asker].settings.queryTimeout } == true)
    }
}

@Suite("Replayable timers")
struct ReplayableTimerTests {
    @Test("timed-out lookups finish in lookup-ID order, whatever the dictionaries' order")
    func orderedTimeouts() {
        let net = MiniNetwork(count: 12)
        net.bootstrap()
        net.offline = Set(1..<12)
        var actions: [DHTAction] = []
        var ids: [UInt32] = []
        for n in 0..<6 { ids.append(net.nodes[0].findNode(contact(UInt64(900 + n)).id, now: net.now.instant, into: &actions)) }
        var finished: [UInt32] = []
        for _ in 0..<20 {
            net.now.instant = net.now.instant + .milliseconds(500)
            var out: [DHTAction] = []
            net.nodes[0].handleTimers(now: net.now, random: &net.rng, into: &out)
            for case .lookupFinished(let r) in out { finished.append(r.id) }
        }
        #expect(Set(finished) == Set(ids))
        // They all ran out of contacts in the same call: in ascending lookup ID (a dictionary's
        // order would put six IDs in order one time in 720).
        #expect(finished == finished.sorted())
    }
}

@Suite("Record expiry")
struct RecordExpiryTests {
    @Test("expiring drops only expired records and keeps the counts right")
    func expireKeepsCounts() {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate)
        let (early, earlyKey, _) = f.record(ip: "10.8.0.5", expiresAt: 11_000)
        let (late, lateKey, _) = f.record(ip: "10.8.0.6", expiresAt: 13_000)
        try! store.store(early, under: earlyKey, from: contact(1).id, now: 10_000)
        try! store.store(late, under: lateKey, from: contact(1).id, now: 10_000)
        store.expire(now: 10_500)
        #expect(store.count == 2)
        store.expire(now: 11_000)
        #expect(store.count == 1)
        #expect(store.lookup(earlyKey, now: 11_000).isEmpty)
        #expect(store.lookup(lateKey, now: 11_000) == [late])
        #expect(store.countByPeer[contact(1).id] == 1)
    }
}

@Suite("Routing table upkeep")
struct RoutingTableUpkeepTests {
    /// Contacts that land in bucket 0 of a table around `contact(0)`.
    func bucketZero(_ n: Int) -> [Contact] {
        let own = contact(0).id
        return Array((1...400).map(contact).filter { own.commonPrefixLength(with: $0.id) == 0 }.prefix(n))
    }

    @Test("a bucket is refreshed unless a lookup ran in its range, however chatty its contacts; a full one is not")
    func refreshByLookups() {
        let start = Instant(nanoseconds: 5_000_000_000_000)
        var t = RoutingTable(own: contact(0).id, k: 4)
        let members = bucketZero(3)
        for c in members { t.seen(c, now: start) }
        let later = start + .seconds(1000)
        for c in members { t.seen(c, now: later) }
        #expect(t.bucketsNeedingRefresh(now: later, interval: .seconds(900)).contains(0))
        t.touch(lookingUp: id(near: t.own, sharing: 0, tail: 3), now: later)
        #expect(!t.bucketsNeedingRefresh(now: later, interval: .seconds(900)).contains(0))
        t.seen(bucketZero(4)[3], now: later)
        #expect(!t.bucketsNeedingRefresh(now: later + .seconds(5000), interval: .seconds(900)).contains(0))
    }

    @Test("a contact without a replacement survives failures short of the limit, hidden from answers")
    func failuresTolerated() {
        var t = RoutingTable(own: contact(0).id, k: 4, maxFailures: 3)
        let c = bucketZero(1)[0]
        t.seen(c, now: .zero)
        t.failed(c.id)
        t.failed(c.id)
        #expect(t.contact(c.id) != nil)
        #expect(t.closest(to: c.id, count: 5).isEmpty)
        t.seen(c, now: .zero)
        #expect(t.closest(to: c.id, count: 5) == [c])
        for _ in 0..<3 { t.failed(c.id) }
        #expect(t.contact(c.id) == nil)
    }

    @Test("a failing contact is replaced at once when a newcomer waits")
    func replacedAtOnce() {
        var t = RoutingTable(own: contact(0).id, k: 2, maxFailures: 3)
        let m = bucketZero(3)
        for c in m { t.seen(c, now: .zero) }
        t.failed(m[0].id)
        #expect(t.contact(m[0].id) == nil)
        #expect(t.contact(m[2].id) != nil)
    }

    @Test("silent entries are probed one per bucket; a fresh oldest entry is not pinged for a newcomer")
    func staleProbes() {
        let start = Instant(nanoseconds: 1_000_000_000)
        var t = RoutingTable(own: contact(0).id, k: 2, staleAfter: .seconds(600))
        let m = bucketZero(3)
        t.seen(m[0], now: start)
        t.seen(m[1], now: start + .seconds(10))
        #expect(t.seen(m[2], now: start + .seconds(20)) == .cached)
        #expect(t.staleEntriesToProbe(now: start + .seconds(599)).isEmpty)
        #expect(t.staleEntriesToProbe(now: start + .seconds(600)) == [m[0]])
        // Already probing that bucket: nothing more until the answer or the failure.
        #expect(t.staleEntriesToProbe(now: start + .seconds(700)).isEmpty)
        t.seen(m[0], now: start + .seconds(700))
        #expect(t.staleEntriesToProbe(now: start + .seconds(700)) == [m[1]])
        #expect(t.seen(m[2], now: start + .seconds(701)) == .cached)
    }

    @Test("a dropped contact is remembered, retried once per interval, and back when it answers")
    func dormantContacts() {
        let start = Instant(nanoseconds: 1_000_000_000)
        var t = RoutingTable(own: contact(0).id, k: 2, maxFailures: 1, maxDormant: 2)
        let m = bucketZero(4)
        t.seen(m[0], now: start)
        t.failed(m[0].id)
        #expect(t.contact(m[0].id) == nil)
        #expect(t.dormantCount == 1)
        #expect(t.dormantToRetry(now: start, interval: .seconds(300)) == [m[0]])
        #expect(t.dormantToRetry(now: start + .seconds(299), interval: .seconds(300)).isEmpty)
        // It answers: back in the table, no longer dormant.
        t.seen(m[0], now: start + .seconds(10))
        #expect(t.contact(m[0].id) != nil)
        #expect(t.dormantCount == 0)
        // Bounded, and forgotten after missing its retries.
        for c in m.prefix(3) { t.seen(c, now: start) }
        for c in m.prefix(3) { t.failed(c.id) }
        #expect(t.dormantCount == 2)
        var now = start + .seconds(1000)
        for _ in 0..<(2 * RoutingTable.dormantRetries) {
            for c in t.dormantToRetry(now: now, interval: .seconds(300)) { t.failed(c.id) }
            now = now + .seconds(300)
        }
        #expect(t.dormantCount == 0)
    }
}

@Suite("Partition healing")
struct PartitionHealingTests {
    @Test("after a split long enough to drop each other, the halves find each other through dormant contacts")
    func heals() {
        var settings = DHTNode.Settings()
        settings.bucketRefreshInterval = .seconds(300)
        let net = MiniNetwork(count: 24, settings: settings)
        net.bootstrap()
        let a = 3, b = 17
        #expect(net.nodes[a].table.contact(net.nodes[b].own.id) != nil)
        // The other side is silent: a's queries and probes to it fail until it drops them all.
        let otherSide = Set(12..<24)
        net.offline = otherSide
        for _ in 0..<40 {
            net.now.instant = net.now.instant + .seconds(30)
            for i in 0..<12 {
                var out: [DHTAction] = []
                _ = net.nodes[i].findNode(contact(UInt64(700 + i)).id, now: net.now.instant, into: &out)
                net.run(out, from: i)
            }
            net.tick()
        }
        #expect(net.nodes[a].table.allContacts.allSatisfy { !otherSide.contains(net.index(of: $0)!) })
        #expect(net.nodes[a].table.dormantCount > 0)
        // Healed: within one refresh interval a pings a dormant contact on the other side,
        // which answers, and lookups cross again.
        net.offline = []
        for _ in 0..<10 {
            net.now.instant = net.now.instant + .seconds(30)
            net.tick()
        }
        #expect(net.nodes[a].table.allContacts.contains { otherSide.contains(net.index(of: $0)!) })
        var actions: [DHTAction] = []
        let id = net.nodes[a].findNode(net.nodes[b].own.id, now: net.now.instant, into: &actions)
        net.run(actions, from: a)
        #expect(net.finished[a]?.first { $0.id == id }?.closest.first == net.nodes[b].own)
    }
}
