import Synchronization
import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

@Suite("Sessions between two nodes")
struct SessionManagerTests {
    /// alice (static peer: bob) and bob, handshaken.
    func connected() -> SessionHarness {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        return h
    }

    @Test("a static peer handshakes at start and both sides become connected")
    func handshake() {
        let h = connected()
        let alice = h.nodes[1].manager.status(now: h.now.instant)
        let bob = h.nodes[0].manager.status(now: h.now.instant)
        #expect(alice.map(\.state) == [.connected])
        #expect(alice.first?.name == "bob")
        #expect(bob.first?.name == "alice")
        #expect(bob.first?.state == .connected)
        #expect(h.dropped.isEmpty)
    }

    @Test("a static peer heard on the LAN before its session is accepted, and stays a peer of the config")
    func staticPeerOnLAN() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        let lan = Endpoint("192.168.1.2:51820")!
        let link = h.nodes[1].manager.seenOnLAN(certificate: try UncheckedCertificate(parsing: h.nodes[0].certificate.encoded),
                                                 at: lan, now: h.now)
        #expect(link?.publicKey == h.nodes[0].certificate.publicKey)
        #expect(h.nodes[1].manager.status(now: h.now.instant).first?.foundBy == "config")
    }

    @Test("IP packets flow both ways and arrive unchanged")
    func traffic() {
        let h = connected()
        let a = h.nodes[1].ipv4, b = h.nodes[0].ipv4
        let ping = ipv4Packet(from: a, to: b)
        let got = h.send(ping, from: 1)
        #expect(got.count == 1 && got[0].to == 0 && got[0].packet == ping)
        let pong = ipv4Packet(from: b, to: a, payload: [9, 9])
        let back = h.send(pong, from: 0)
        #expect(back.count == 1 && back[0].to == 1 && back[0].packet == pong, "dropped: \(h.dropped)")
    }

    @Test("a packet the packet thread held on a stale snapshot goes out on the session that came up meanwhile")
    func heldAfterSessionCameUp() throws {
        let h = connected()
        let link = try #require(h.nodes[0].manager.snapshot(now: h.now.instant).route(to: .v4(h.nodes[1].ipv4))?.link)
        // Bob answered alice's handshake; his reply to her first packet raced the snapshot.
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        let reply = ipv4Packet(from: h.nodes[0].ipv4, to: h.nodes[1].ipv4, payload: [7])
        var actions: [SessionAction] = []
        h.nodes[0].manager.hold(packet: reply, for: link, now: h.now, into: &actions)
        #expect(actions.allSatisfy { if case .send(let b, _) = $0 { b[0] == MessageType.transport.rawValue } else { false } },
                "no new handshake")
        let delivered = h.run(actions, from: 0)
        #expect(delivered.count == 1 && delivered.first?.packet == reply)
    }

    @Test("a packet to an address nobody owns is dropped as no_route")
    func noRoute() {
        let h = connected()
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: IPv4Address(10, 8, 0, 99)), from: 1)
        #expect(h.dropped == [.noRoute])
    }

    @Test("a replayed transport packet is dropped")
    func replay() {
        let h = connected()
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        let captured = h.captured.last!
        _ = h.receive(captured, at: 0, from: h.nodes[1].endpoint)
        #expect(h.dropped.last == .replayed)
    }

    @Test("a decrypted packet whose inner source the sender does not own is dropped")
    func spoofedSource() {
        let h = connected()
        let spoof = ipv4Packet(from: IPv4Address(10, 8, 0, 77), to: h.nodes[0].ipv4)
        let got = h.send(spoof, from: 1)
        #expect(got.isEmpty)
        #expect(h.dropped.last == .sourceNotOwned)
    }

    @Test("a flipped bit in a transport packet fails authentication")
    func tamper() {
        let h = connected()
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        var bad = h.captured.last!
        bad[bad.count - 3] ^= 1
        // Counter must be fresh for the tamper to reach authentication, so bump it.
        bad[8] &+= 100
        _ = h.receive(bad, at: 0, from: h.nodes[1].endpoint)
        #expect(h.dropped.last == .authenticationFailed)
    }

    @Test("a node with a certificate from another CA is refused, and status says why")
    func foreignCA() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("mallory", host: 3, staticPeers: [0], foreign: true)
        h.start(1)
        let refusals = h.nodes[0].manager.recentRefusals
        #expect(refusals.count == 1)
        // Another CA's certificate proves nothing about who its holder is: no name.
        #expect(refusals.first?.name == nil && refusals.first?.publicKey == nil)
        #expect(refusals.first?.reason.contains("another CA") == true)
        #expect(h.nodes[0].manager.status(now: h.now.instant).isEmpty)
        // Retries are counted, not logged again.
        h.advance(.seconds(6))
        h.tick(1)
        #expect(h.nodes[0].manager.recentRefusals.first?.count == 2)
        #expect(h.log.filter { if case .refused = $0 { true } else { false } }.count == 1)
    }

    @Test("a certificate not yet valid is one refusal however its text counts down, and one log line")
    func notYetValidCountedOnce() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        // Valid 3,000 s from now: "50 minutes", then "49 minutes" at the retry 6 s later.
        h.addNode("early", host: 3, staticPeers: [0], notBefore: h.now.unixSeconds + 3_000)
        h.start(1)
        #expect(h.nodes[0].manager.recentRefusals.first?.reason == "certificate is not valid for another 50 minutes")
        h.advance(.seconds(6))
        h.tick(1)
        let refusals = h.nodes[0].manager.recentRefusals
        #expect(refusals.count == 1 && refusals.first?.count == 2)
        #expect(refusals.first?.reason == "certificate is not valid for another 49 minutes", "the newest text is shown")
        #expect(h.log.filter { if case .refused = $0 { true } else { false } }.count == 1)
    }

    @Test("a blocklisted certificate is refused")
    func blocklisted() {
        let h = SessionHarness()
        h.addNode("alice", host: 1)
        h.addNode("bob", host: 2, staticPeers: [0], blocklist: [.fingerprint(h.nodes[0].certificate.fingerprint)])
        h.start(1)
        #expect(h.nodes[1].manager.recentRefusals.first?.reason.contains("blocklisted") == true)
        #expect(h.nodes[1].manager.status(now: h.now.instant).first?.state != .connected)
    }

    @Test("a certificate whose public key is blocklisted is refused at handshake")
    func blocklistedKey() {
        let h = SessionHarness()
        h.addNode("alice", host: 1)
        h.addNode("bob", host: 2, staticPeers: [0], blocklist: [.publicKey(h.nodes[0].certificate.publicKey)])
        h.start(1)
        let key = KeyText.publicKey(h.nodes[0].certificate.publicKey)
        #expect(h.nodes[1].manager.recentRefusals.first?.reason == "public key \(key) is blocklisted")
        #expect(h.nodes[1].manager.status(now: h.now.instant).first?.state != .connected)
        #expect(h.nodes[0].manager.status(now: h.now.instant).first?.state != .connected)
    }

    @Test("a replayed handshake initiation is not answered")
    func initiationReplay() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        var actions: [SessionAction] = []
        h.nodes[1].manager.start(now: h.now, into: &actions)
        guard case .send(let initiation, _) = actions.first else { Issue.record("no initiation"); return }
        var first: [SessionAction] = []
        #expect(h.nodes[0].manager.handleHandshake(initiation, from: .direct(h.nodes[1].endpoint), now: h.now, into: &first) == nil)
        h.advance(.seconds(1))
        var second: [SessionAction] = []
        #expect(h.nodes[0].manager.handleHandshake(initiation, from: .direct(h.nodes[1].endpoint), now: h.now, into: &second) == .replayed)
        #expect(second.isEmpty)
    }

    @Test("an initiation with a wrong mac1 is dropped before any Diffie-Hellman")
    func badMAC() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        var actions: [SessionAction] = []
        h.nodes[1].manager.start(now: h.now, into: &actions)
        guard case .send(var initiation, _) = actions.first else { Issue.record("no initiation"); return }
        initiation[initiation.count - HandshakeMAC.byteCount - 1] ^= 1  // mac1's last byte
        var out: [SessionAction] = []
        #expect(h.nodes[0].manager.handleHandshake(initiation, from: .direct(h.nodes[1].endpoint), now: h.now, into: &out) == .authenticationFailed)
    }

    @Test("garbage handshake datagrams of every length are dropped, never trap")
    func garbage() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        var rng = SeededRandom(seed: 3)
        for length in [0, 1, 4, 8, 12, 50, 111, 112, 200, 1500] {
            for type: UInt8 in [1, 2] {
                var d = [UInt8](repeating: 0, count: length)
                d.withUnsafeMutableBytes { rng.fill($0) }
                if length >= 4 { d[0] = type; d[1] = 0; d[2] = 0; d[3] = 0 }
                var out: [SessionAction] = []
                #expect(h.nodes[0].manager.handleHandshake(d, from: .direct(Endpoint("192.0.2.9:1")!), now: h.now, into: &out) != nil)
                #expect(out.isEmpty)
            }
        }
    }

    @Test("an unanswered initiation is retransmitted after about 5 s and abandoned after 90 s for a known peer")
    func retransmitAndGiveUp() {
        let h = connected()
        // bob disappears: alice's packets now go nowhere.
        let bobEndpoint = h.nodes[0].endpoint
        h.vanish(0)
        h.advance(.seconds(181))
        h.tick(1)
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        let initiations = { h.log.filter { if case .send(let b, let e) = $0 { b[0] == 1 && e == bobEndpoint } else { false } }.count }
        let first = initiations()
        #expect(first >= 1)
        h.advance(.seconds(4))
        h.tick(1)
        #expect(initiations() == first)
        h.advance(.milliseconds(1400))
        h.tick(1)
        #expect(initiations() == first + 1)
        for _ in 0..<40 { h.advance(.seconds(3)); h.tick(1) }
        #expect(h.log.contains { if case .gaveUp = $0 { true } else { false } })
        #expect(h.nodes[1].manager.status(now: h.now.instant).first?.lastError?.contains("no handshake response") == true)
    }

    @Test("a node found in the DHT gets each initiation at every address its record lists; the one that answers is kept")
    func candidates() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        let bob = h.nodes[0]
        let unreachable = [Endpoint("172.20.11.2:51820")!, Endpoint("[fd00::2]:51820")!]
        let link = try #require(h.nodes[1].manager.introduce(certificate: UncheckedCertificate(parsing: bob.certificate.encoded),
                                                               endpoints: unreachable + [bob.endpoint], now: h.now))
        var actions: [SessionAction] = []
        let packet = ipv4Packet(from: h.nodes[1].ipv4, to: bob.ipv4)
        h.nodes[1].manager.hold(packet: packet, for: link, now: h.now, into: &actions)
        let initiations = actions.compactMap { if case .send(let b, let e) = $0, b[0] == 1 { (b, e) } else { nil } }
        #expect(initiations.map(\.1) == unreachable + [bob.endpoint])
        #expect(Set(initiations.map(\.0)).count == 1)
        let delivered = h.run(actions, from: 1)
        #expect(delivered.count == 1 && delivered.first?.packet == packet)
        let status = h.nodes[1].manager.status(now: h.now.instant).first
        #expect(status?.state == .connected && status?.endpoint == bob.endpoint.description)
        // With a session, a rekey goes to the working endpoint only.
        h.advance(.seconds(131))
        let before = h.log.count
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: bob.ipv4), from: 1)
        h.tick(1)
        let rekeys = h.log[before...].compactMap { if case .send(let b, let e) = $0, b[0] == 1 { e } else { nil } }
        #expect(rekeys == [bob.endpoint])
    }

    @Test("steady traffic to a peer that went silent starts a handshake 15 s after the first unanswered packet")
    func silentPeerUnderTraffic() {
        let h = connected()
        let bobEndpoint = h.nodes[0].endpoint
        h.vanish(0)
        let initiations = { h.log.filter { if case .send(let b, let e) = $0 { b[0] == 1 && e == bobEndpoint } else { false } }.count }
        let before = initiations()
        for second in 1...16 {
            h.advance(.seconds(1))
            h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
            h.tick(1)
            #expect(initiations() == before + (second >= 16 ? 1 : 0), "after \(second) s")
        }
    }

    @Test("handshakes unanswered for 10 s ask once where the peer is; a record with a new endpoint redirects them")
    func relocate() {
        let h = connected()
        let old = h.nodes[0].endpoint, moved = Endpoint("192.0.2.102:40000")!
        let bob = h.nodes[0].certificate.publicKey
        // bob restarts elsewhere and does not contact alice; her keys expire meanwhile.
        h.nodes[0] = SessionHarness.Node(name: "bob", manager: h.nodes[0].manager, endpoint: moved,
                                         certificate: h.nodes[0].certificate)
        h.advance(.seconds(181))
        h.tick(1)
        let packet = ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4)
        #expect(h.send(packet, from: 1).isEmpty)
        let asked = { h.log.compactMap { if case .unanswered(let key) = $0 { key } else { nil } } }
        h.advance(.seconds(6))
        h.tick(1)
        #expect(asked().isEmpty)
        for _ in 0..<10 { h.advance(.seconds(3)); h.tick(1) }
        #expect(asked() == [bob])
        // A record that still lists the endpoint in use: bob is down, not moved.
        var actions: [SessionAction] = []
        #expect(h.nodes[1].manager.relocate(bob, endpoints: [Endpoint("192.0.2.9:1")!, old], now: h.now, into: &actions) == nil)
        #expect(actions.isEmpty)
        #expect(h.nodes[1].manager.relocate(bob, endpoints: [moved], now: h.now, into: &actions) == moved)
        let delivered = h.run(actions, from: 1)
        #expect(delivered.count == 1 && delivered.first?.to == 0 && delivered.first?.packet == packet)
        #expect(h.nodes[1].manager.status(now: h.now.instant).first?.state == .connected)
    }

    @Test("after 120 s (plus up to 10 s of jitter) the initiator rekeys on its next packet and traffic continues")
    func rekey() {
        let h = connected()
        let a = h.nodes[1].ipv4, b = h.nodes[0].ipv4
        h.advance(.seconds(131))
        let before = h.log.count
        #expect(h.send(ipv4Packet(from: a, to: b), from: 1).count == 1)
        h.tick(1)
        let newInitiation = h.log[before...].contains { if case .send(let bytes, _) = $0 { bytes[0] == 1 } else { false } }
        #expect(newInitiation)
        h.advance(.seconds(70))
        #expect(h.send(ipv4Packet(from: a, to: b), from: 1).count == 1)
        #expect(h.send(ipv4Packet(from: b, to: a), from: 0).count == 1)
    }

    @Test("a shortened rekey interval (benchmarks) renews after it, with jitter in proportion")
    func shortRekey() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.nodes[1].manager.rekeyAfterTime = .seconds(10)
        h.start(1)
        let a = h.nodes[1].ipv4, b = h.nodes[0].ipv4
        let keypair = h.nodes[1].manager.snapshot(now: h.now.instant).route(to: .v4(b))?.keypair
        #expect(keypair.map { $0.rekeyAfter >= .seconds(10) && $0.rekeyAfter < .milliseconds(10_834) } == true)
        h.advance(.seconds(11))
        let before = h.log.count
        #expect(h.send(ipv4Packet(from: a, to: b), from: 1).count == 1)
        h.tick(1)
        #expect(h.log[before...].contains { if case .send(let bytes, _) = $0 { bytes[0] == 1 } else { false } })
    }

    @Test("a passive keepalive answers received data after 10 s of silence")
    func passiveKeepalive() {
        let h = connected()
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        let keepalives = { h.captured.filter { $0.count == TransportHeader.overhead }.count }
        let before = keepalives()
        h.advance(.seconds(11))
        h.tick(0)
        #expect(keepalives() == before + 1)
    }

    @Test("a new member configured with bob as its peer is accepted and traffic flows")
    func restart() {
        let h = connected()
        // A node bob has never seen arrives: bob answers it like any certified member.
        h.addNode("carol", host: 5, staticPeers: [0])
        h.start(2)
        #expect(h.send(ipv4Packet(from: h.nodes[2].ipv4, to: h.nodes[0].ipv4), from: 2).count == 1)
        #expect(h.send(ipv4Packet(from: h.nodes[0].ipv4, to: h.nodes[2].ipv4), from: 0).count == 1)
    }

    @Test("packets held during a handshake are delivered when it completes")
    func heldPackets() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        // Let the session lapse, then send: the packet waits for the new handshake.
        h.advance(.seconds(200))
        h.tick(1); h.tick(0)
        let got = h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        #expect(got.count == 1)
    }

    @Test("a peer's packets from a new endpoint move its endpoint (roaming)")
    func roaming() {
        let h = connected()
        let moved = Endpoint("192.0.2.50:4000")!
        h.nodes[1] = SessionHarness.Node(name: "alice", manager: h.nodes[1].manager, endpoint: moved,
                                         certificate: h.nodes[1].certificate)
        h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
        #expect(h.nodes[0].manager.status(now: h.now.instant).first?.endpoint == moved.description)
        #expect(h.send(ipv4Packet(from: h.nodes[0].ipv4, to: h.nodes[1].ipv4), from: 0).count == 1)
    }
}

@Suite("Crossing handshakes")
struct CrossingHandshakeTests {
    /// Both nodes list each other and start at the same moment: each answers the other's
    /// initiation before hearing the answer to its own.
    @Test("two nodes that initiate at once both end up able to send and receive")
    func crossing() {
        let h = SessionHarness.crossingPair()
        let a = h.nodes[0].ipv4, b = h.nodes[1].ipv4
        for _ in 0..<3 {
            #expect(h.send(ipv4Packet(from: a, to: b), from: 0).count == 1)
            #expect(h.send(ipv4Packet(from: b, to: a), from: 1).count == 1)
        }
        #expect(!h.dropped.contains(.unknownIndex), "\(h.dropped)")
    }

    @Test("packets in flight during crossing rekeys are still decrypted")
    func crossingRekeyUnderLoad() {
        let h = SessionHarness.crossingPair()
        let a = h.nodes[0].ipv4, b = h.nodes[1].ipv4
        h.advance(.seconds(131))
        // Traffic both ways marks both sides as wanting a rekey; these packets are in flight.
        guard let late1 = h.seal(ipv4Packet(from: a, to: b), from: 0), let late2 = h.seal(ipv4Packet(from: b, to: a), from: 1) else {
            Issue.record("no session to send on")
            return
        }
        var fromAlice: [SessionAction] = [], fromBob: [SessionAction] = []
        h.nodes[0].manager.handleTimers(now: h.now, into: &fromAlice)
        h.nodes[1].manager.handleTimers(now: h.now, into: &fromBob)
        h.cross(fromAlice, fromBob)
        // The old keys' packets arrive after both handshakes completed.
        #expect(h.receive(late1.datagram, at: late1.to, from: h.nodes[0].endpoint).1.count == 1)
        #expect(h.receive(late2.datagram, at: late2.to, from: h.nodes[1].endpoint).1.count == 1)
        for _ in 0..<3 {
            #expect(h.send(ipv4Packet(from: a, to: b), from: 0).count == 1)
            #expect(h.send(ipv4Packet(from: b, to: a), from: 1).count == 1)
        }
        #expect(!h.dropped.contains(.unknownIndex), "\(h.dropped)")
    }

    @Test("rekey times are jittered, so crossed initiators drift apart")
    func jitter() {
        let h = SessionHarness.crossingPair()
        let a = h.nodes[0].manager.snapshot(now: h.now.instant).route(to: .v4(h.nodes[1].ipv4))?.keypair
        let b = h.nodes[1].manager.snapshot(now: h.now.instant).route(to: .v4(h.nodes[0].ipv4))?.keypair
        #expect(a?.isInitiator == true && b?.isInitiator == true)
        #expect(a?.rekeyAfter != b?.rekeyAfter)
    }
}

@Suite("Timers racing the packet threads")
struct TimerRaceTests {
    @Test("activity stamped after the timer read the clock does not trap or misfire")
    func futureStamps() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0], keepalive: .seconds(25))
        h.start(1)
        let link = h.nodes[1].manager.snapshot(now: h.now.instant).route(to: .v4(h.nodes[0].ipv4))!.link
        // A packet thread stored times a moment later than the clock the timers will use.
        let later = h.now.instant.nanoseconds + 1_000_000
        link.lastSent.store(later, ordering: .relaxed)
        link.unansweredSince.store(later, ordering: .relaxed)
        link.lastReceived.store(later - 1, ordering: .relaxed)
        link.lastDataReceived.store(later, ordering: .relaxed)
        let before = h.log.count
        h.tick(1)
        #expect(h.log.count == before)
    }
}
