import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenDHT

/// Contacts with IDs chosen directly, so tests can place them in buckets precisely.
func contact(_ seed: UInt64) -> Contact {
    var rng = SeededRandom(seed: seed)
    var key = Key32()
    key.withUnsafeMutableBytes { rng.fill($0) }
    return Contact(publicKey: key, endpoint: Endpoint(address: .v4(IPv4Address(192, 0, 2, UInt8(seed % 250))), port: 51820))
}

/// An ID equal to `base` but for bit `bit` (0 = most significant) flipped and the bits after
/// it set from `tail`: its common prefix with `base` is exactly `bit` bits.
func id(near base: NodeID, sharing bit: Int, tail: UInt8 = 0) -> NodeID {
    var raw = base.raw
    raw.withUnsafeMutableBytes { b in
        b[bit / 8] ^= 0x80 >> UInt8(bit % 8)
        if bit / 8 + 1 < 32 { b[31] ^= tail }
    }
    return NodeID(raw: raw)
}

@Suite("Node IDs and XOR distance")
struct NodeIDTests {
    @Test("the distance to oneself is zero and distance is symmetric")
    func distance() {
        let a = contact(1).id, b = contact(2).id
        #expect(a.distance(to: a) == .zero)
        #expect(a.distance(to: b) == b.distance(to: a))
        #expect(a.commonPrefixLength(with: a) == 256)
    }

    @Test("the common prefix length is where the first differing bit is", arguments: [0, 1, 7, 8, 100, 255])
    func prefix(bit: Int) {
        let base = contact(3).id
        #expect(base.commonPrefixLength(with: id(near: base, sharing: bit)) == bit)
    }

    @Test("a node ID is the hash of the public key, not chosen")
    func derived() {
        let c = contact(4)
        #expect(c.id == NodeID(publicKey: c.publicKey))
        #expect(c.id.raw != c.publicKey)
    }
}

@Suite("Routing table")
struct RoutingTableTests {
    @Test("contacts are added, refreshed and found by ID")
    func addRefresh() {
        var t = RoutingTable(own: contact(0).id, k: 4)
        let c = contact(1)
        #expect(t.seen(c, now: .zero) == .added)
        #expect(t.seen(c, now: .zero) == .refreshed)
        #expect(t.contact(c.id) == c)
        #expect(t.count == 1)
        #expect(t.seen(Contact(publicKey: contact(0).publicKey, endpoint: c.endpoint), now: .zero) == .ignored)
    }

    @Test("a full bucket asks to ping its oldest entry and caches the newcomer")
    func fullBucket() {
        let own = contact(0).id
        var t = RoutingTable(own: own, k: 2)
        // Three contacts in bucket 0 (first bit differs from ours).
        let members = (1...200).map(contact).filter { own.commonPrefixLength(with: $0.id) == 0 }.prefix(4)
        let m = Array(members)
        #expect(t.seen(m[0], now: .zero) == .added)
        #expect(t.seen(m[1], now: .zero) == .added)
        #expect(t.seen(m[2], now: .zero) == .pingOldest(m[0]))
        #expect(t.seen(m[3], now: .zero) == .cached)
        // The oldest answers: it stays, newcomers wait.
        #expect(t.seen(m[0], now: .zero) == .refreshed)
        #expect(t.contact(m[2].id) == nil)
        // Now m[1] is oldest; a newcomer triggers its probe; it fails and the newest
        // replacement takes its place.
        #expect(t.seen(m[2], now: .zero) == .pingOldest(m[1]))
        t.failed(m[1].id)
        #expect(t.contact(m[1].id) == nil)
        #expect(t.contact(m[2].id) != nil)
        #expect(t.count == 2)
    }

    @Test("closest returns contacts sorted by XOR distance")
    func closest() {
        var t = RoutingTable(own: contact(0).id, k: 20)
        let all = (1...60).map(contact)
        for c in all { t.seen(c, now: .zero) }
        let target = contact(999).id
        let got = t.closest(to: target, count: 5)
        let stored = all.filter { t.contact($0.id) != nil }
        let expected = stored.sorted { $0.id.distance(to: target) < $1.id.distance(to: target) }.prefix(5)
        #expect(got == Array(expected))
    }

    @Test("untouched buckets up to the deepest occupied one need refreshing")
    func refresh() {
        var t = RoutingTable(own: contact(0).id, k: 20)
        for c in (1...30).map(contact) { t.seen(c, now: Instant(nanoseconds: 1_000)) }
        let later = Instant(nanoseconds: 1_000) + .seconds(3600)
        let stale = t.bucketsNeedingRefresh(now: later, interval: .seconds(3600))
        #expect(!stale.isEmpty)
        #expect(stale.first == 0)
        t.touch(bucket: 0, now: later)
        #expect(!t.bucketsNeedingRefresh(now: later, interval: .seconds(3600)).contains(0))
    }
}

@Suite("Iterative lookup")
struct LookupTests {
    /// A little network where every node knows everyone; answers return the k closest.
    func answer(_ ids: [Contact], to target: NodeID, k: Int) -> [Contact] {
        Array(ids.sorted { $0.id.distance(to: target) < $1.id.distance(to: target) }.prefix(k))
    }

    @Test("queries at most α at a time and finishes when the k closest answered")
    func converges() {
        let network = (1...100).map(contact)
        let target = contact(5000).id
        var lookup = Lookup(target: target, seeds: Array(network.prefix(3)), k: 5, alpha: 3)
        var now = Instant.zero
        var rounds = 0
        while !lookup.isFinished {
            let queries = lookup.next(now: now)
            #expect(queries.count <= 3)
            if queries.isEmpty { break }
            for q in queries { lookup.answered(by: q.id, with: answer(network, to: target, k: 5)) }
            now = now + .milliseconds(10)
            rounds += 1
        }
        #expect(lookup.isFinished)
        #expect(lookup.closest == answer(network, to: target, k: 5))
        #expect(rounds <= 4)
    }

    @Test("a silent contact times out and the lookup goes on without it")
    func timeout() {
        let network = (1...10).map(contact)
        let target = contact(77).id
        var lookup = Lookup(target: target, seeds: network, k: 3, alpha: 3, timeout: .seconds(1))
        let first = lookup.next(now: .zero)
        #expect(first.count == 3)
        // Nobody answers.
        #expect(lookup.nextDeadline == Instant.zero + .seconds(1))
        #expect(lookup.expire(now: Instant.zero + .milliseconds(500)).isEmpty)
        #expect(lookup.expire(now: Instant.zero + .seconds(1)).count == 3)
        let second = lookup.next(now: Instant.zero + .seconds(1))
        #expect(second.count == 3)
        #expect(Set(second.map(\.id)).isDisjoint(with: Set(first.map(\.id))))
    }

    @Test("a lookup with nobody left to ask finishes")
    func exhausted() {
        var lookup = Lookup(target: contact(1).id, seeds: [contact(2)], k: 3, alpha: 3)
        let q = lookup.next(now: .zero)
        lookup.failed(q[0].id)
        #expect(lookup.isFinished)
        #expect(lookup.closest.isEmpty)
    }

    @Test("hop counts grow by one per answer")
    func hops() {
        let seed = contact(1), learned = contact(2)
        var lookup = Lookup(target: contact(3).id, seeds: [seed], k: 3, alpha: 3)
        _ = lookup.next(now: .zero)
        lookup.answered(by: seed.id, with: [learned])
        #expect(lookup.hops(to: seed.id) == 0)
        #expect(lookup.hops(to: learned.id) == 1)
    }
}
