import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

/// Security issue 11, finding 4: keys no certificate vouches for (DHT contacts a member
/// invents, punch notices, relay `bound` messages) must not fill the peer table, nor make
/// the node a reflector towards an address the member chose.
@Suite("Peer table bounds")
struct PeerTableTests {
    /// Where the invented contacts point: nobody there.
    static let target = Endpoint("192.0.2.99:9")!

    static func inventedKeys(_ count: Int, seed: UInt64) -> [Key32] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in SigningKey(random: &rng).publicKey }
    }

    static func bytesSent(to endpoint: Endpoint, in actions: [SessionAction]) -> Int {
        actions.reduce(0) { total, action in
            guard case .send(let bytes, let to) = action, to.address == endpoint.address else { return total }
            return total + bytes.count
        }
    }

    @Test("a node fed thousands of invented keys keeps a bounded table and still accepts a new member")
    func inventedKeysDoNotFillTheTable() {
        let h = SessionHarness()
        let victim = h.addNode("victim", host: 2)
        let manager = h.nodes[victim].manager
        var actions: [SessionAction] = []
        let invented = Self.inventedKeys(manager.peerLimit + 1000, seed: 41)
        for (i, key) in invented.enumerated() {
            switch i % 3 {
            case 0: manager.sendControl([0x01, 1], to: key, endpoint: Self.target, now: h.now, into: &actions)
            case 1: manager.bindRelay(towards: key, through: invented[0], path: Path(endpoint: Self.target, channel: UInt32(i)),
                                      now: h.now, into: &actions)
            default: manager.punch(towards: key, candidates: [Self.target], now: h.now, into: &actions)
            }
        }
        let counts = manager.peerCounts()
        #expect(counts.proven == 0)
        #expect(counts.prospects <= SessionManager.maxProspects)
        // The handshakes towards the invented keys' one address stay within its budget.
        let initiations = actions.filter {
            guard case .send(let bytes, let to) = $0, to == Self.target else { return false }
            return bytes.first == MessageType.handshakeInitiation.rawValue
        }
        #expect(initiations.count <= Int(HandshakeBudget.burst), "\(initiations.count) initiations to \(Self.target)")

        // A real member's handshake is answered, and its session works both ways.
        let alice = h.addNode("alice", host: 1, staticPeers: [victim])
        h.start(alice)
        #expect(h.nodes[alice].manager.isConnected(h.nodes[victim].certificate.publicKey, now: h.now.instant))
        #expect(manager.status(now: h.now.instant).contains { $0.name == "alice" && $0.state == .connected })
    }

    @Test("handshake bytes towards an address no peer has proven are bounded over time")
    func reflectionIsBounded() {
        let h = SessionHarness()
        let victim = h.addNode("victim", host: 2)
        let manager = h.nodes[victim].manager
        var sent = 0
        var initiationBytes = 0
        let invented = Self.inventedKeys(20 * 120, seed: 42)
        // A minute of a member naming 20 new contacts at one address every half second, each
        // queried at once, while the timers retransmit.
        for round in 0..<120 {
            var actions: [SessionAction] = []
            for key in invented[(round * 20)..<(round * 20 + 20)] {
                manager.sendControl([0x01, 1], to: key, endpoint: Self.target, now: h.now, into: &actions)
            }
            manager.handleTimers(now: h.now, into: &actions)
            sent += Self.bytesSent(to: Self.target, in: actions)
            for case .send(let bytes, _) in actions where initiationBytes == 0 { initiationBytes = bytes.count }
            h.advance(.milliseconds(500))
        }
        let budget = (HandshakeBudget.burst + HandshakeBudget.perSecond * 60) * Double(initiationBytes)
        print("invented contacts at one address for 60 s: \(sent) bytes sent there (budget \(Int(budget)))")
        #expect(sent > 0)
        #expect(Double(sent) <= budget)
        #expect(manager.peerCounts().prospects <= SessionManager.maxProspects)
    }

    @Test("prospects whose handshakes go unanswered are given up quietly and pruned, with their indices")
    func idleProspectsArePruned() {
        let h = SessionHarness()
        let victim = h.addNode("victim", host: 2)
        let manager = h.nodes[victim].manager
        var actions: [SessionAction] = []
        // Each at its own address, so the handshake budget lets every initiation out.
        for (i, key) in Self.inventedKeys(50, seed: 43).enumerated() {
            manager.sendControl([0x01, 1], to: key, endpoint: Endpoint("198.51.100.\(i + 1):51820")!, now: h.now, into: &actions)
        }
        #expect(manager.peerCounts().prospects == 50)
        #expect(manager.indices.count == 50)
        var later: [SessionAction] = []
        for _ in 0..<Int((Timing.idlePeerLifetime + Timing.prospectAttemptTime).secondsValue) + 2 {
            h.advance(.seconds(1))
            manager.handleTimers(now: h.now, into: &later)
        }
        // Three initiations each at most, no lookup of their whereabouts, no log line.
        let initiations = later.filter { if case .send = $0 { true } else { false } }.count
        #expect(initiations <= 50 * 2)
        #expect(!later.contains { if case .unanswered = $0 { true } else { false } })
        #expect(!later.contains { if case .gaveUp = $0 { true } else { false } })
        #expect(manager.peerCounts().prospects == 0)
        #expect(manager.peers.isEmpty)
        #expect(manager.indices.isEmpty)
    }

    @Test("a peer without a session or purpose is pruned; static and kept-alive peers stay")
    func idlePeersArePruned() {
        let h = SessionHarness()
        let victim = h.addNode("victim", host: 2)
        let bob = h.addNode("bob", host: 3)
        let carol = h.addNode("carol", host: 4)
        let alice = h.addNode("alice", host: 1, staticPeers: [victim])
        let manager = h.nodes[victim].manager
        // bob reaches the victim; carol is its rendezvous node (kept alive); alice is static
        // on her side, and the victim knows her only from her handshake.
        var actions: [SessionAction] = []
        for node in [bob, carol] {
            manager.sendControl([0x01, 1], to: h.nodes[node].certificate.publicKey, endpoint: h.nodes[node].endpoint,
                                now: h.now, into: &actions)
        }
        h.run(actions, from: victim)
        h.start(alice)
        manager.keepAlive(h.nodes[carol].certificate.publicKey, every: .seconds(25))
        #expect(manager.peerCounts() == (proven: 3, prospects: 0))
        // Nothing to say for a long while: keys expire, then the idle peers go.
        for _ in 0..<Int((Timing.rejectAfterTime + Timing.idlePeerLifetime).secondsValue / 5) + 2 {
            h.advance(.seconds(5))
            h.tick(victim)
        }
        let left = Set(manager.status(now: h.now.instant).compactMap(\.name))
        #expect(left == ["carol"], "\(left)")
        #expect(manager.indices.values.allSatisfy { $0 == h.nodes[carol].certificate.publicKey })
        // A pruned peer is met again as before: bob's next handshake is answered.
        actions = []
        h.nodes[bob].manager.sendControl([0x01, 2], to: h.nodes[victim].certificate.publicKey, endpoint: h.nodes[victim].endpoint,
                                         now: h.now, into: &actions)
        h.run(actions, from: bob)
        #expect(manager.isConnected(h.nodes[bob].certificate.publicKey, now: h.now.instant))
    }

    @Test("a member past the peer limit is refused by name, and gets in once a peer has gone")
    func peerLimitRefusesByName() {
        let h = SessionHarness()
        let hub = h.addNode("hub", host: 2, peerLimit: 2)
        let members = ["alice", "bob", "carol"].enumerated().map {
            h.addNode($1, host: UInt8(10 + $0), staticPeers: [hub], keepalive: .seconds(25))
        }
        for member in members { h.start(member) }
        let manager = h.nodes[hub].manager
        #expect(manager.peerCounts() == (proven: 2, prospects: 0))
        let carol = h.nodes[members[2]].certificate.publicKey
        #expect(!h.nodes[members[2]].manager.isConnected(h.nodes[hub].certificate.publicKey, now: h.now.instant))
        let refused = h.log.compactMap { action -> Refusal? in if case .refused(let refusal, _) = action { refusal } else { nil } }
        #expect(refused.map(\.name) == ["carol"])
        #expect(refused.first?.publicKey == KeyText.publicKey(carol))
        #expect(refused.first?.reason == RefusalReason.peerTableFull(limit: 2).description)

        // alice goes away and is pruned; bob stays (his keepalives); carol, whose keepalives
        // want a session, tries again and gets the room alice left.
        h.vanish(members[0])
        for _ in 0..<Int((Timing.rejectAfterTime + Timing.idlePeerLifetime).secondsValue / 5) + 2 {
            h.advance(.seconds(5))
            for node in [hub, members[1], members[2]] { h.tick(node) }
        }
        #expect(Set(manager.status(now: h.now.instant).compactMap(\.name)) == ["bob", "carol"])
        #expect(manager.isConnected(h.nodes[members[1]].certificate.publicKey, now: h.now.instant))
        #expect(manager.isConnected(carol, now: h.now.instant))
    }

    @Test("a relay keeps sixteen times the peers of a member by default")
    func defaultPeerLimitFollowsRole() {
        let h = SessionHarness()
        let member = h.addNode("member", host: 1)
        let relay = h.addNode("relay", host: 2, roles: .relay)
        #expect(h.nodes[member].manager.peerLimit == 4_096)
        #expect(h.nodes[relay].manager.peerLimit == 65_536)
        #expect(h.nodes[relay].manager.peerLimit == SessionManager.defaultPeerLimit(for: [.relay, .exit]))
    }

    @Test("the prospect pool evicts the key used least recently")
    func poolEvictsLeastRecentlyUsed() {
        var pool = ProspectPool(capacity: 3)
        let keys = Self.inventedKeys(5, seed: 44)
        for key in keys.prefix(3) { #expect(pool.use(key) == nil) }
        // keys[0] used again: keys[1] is now the oldest.
        #expect(pool.use(keys[0]) == nil)
        #expect(pool.use(keys[3]) == keys[1])
        #expect(pool.use(keys[4]) == keys[2])
        #expect(pool.count == 3 && pool.contains(keys[0]))
    }
}
