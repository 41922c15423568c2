import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

/// What a believed LAN beacon may change about a peer (`SessionManager.seenOnLAN`): it adds
/// a candidate address and never replaces an endpoint the config gave or a handshake proved
/// (security issue #11, finding 6).
@Suite("LAN beacons add candidates")
struct LANCandidateTests {
    let lan = Endpoint("192.168.1.2:51820")!

    func destinations(_ actions: [SessionAction]) -> Set<Endpoint> {
        Set(actions.compactMap { if case .send(_, let to) = $0 { to } else { nil } })
    }

    @Test("a static peer heard on the LAN keeps its configured endpoint; the LAN address is tried as well")
    func staticPeerKeepsConfiguredEndpoint() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        let alice = h.nodes[1].manager, bob = h.nodes[0]
        let link = try #require(alice.seenOnLAN(certificate: UncheckedCertificate(parsing: bob.certificate.encoded), at: lan, now: h.now))
        #expect(alice.endpoint(of: bob.certificate.publicKey) == bob.endpoint)
        #expect(alice.status(now: h.now.instant).first?.foundBy == "config")
        var actions: [SessionAction] = []
        alice.hold(packet: ipv4Packet(from: h.nodes[1].ipv4, to: bob.ipv4), for: link, now: h.now, into: &actions)
        #expect(destinations(actions) == [bob.endpoint, lan])
        // The configured endpoint answers, and the session runs there.
        h.run(actions, from: 1)
        #expect(alice.isConnected(bob.certificate.publicKey, now: h.now.instant))
        #expect(alice.endpoint(of: bob.certificate.publicKey) == bob.endpoint)
    }

    @Test("an endpoint a handshake proved survives a beacon from elsewhere once the session has lapsed")
    func handshakeProvenEndpointSurvives() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        let bob = h.nodes[0].manager, alice = h.nodes[1]
        // bob learned alice from her handshake: not a peer of his config.
        #expect(bob.endpoint(of: alice.certificate.publicKey) == alice.endpoint)
        h.advance(Timing.rejectAfterTime + .seconds(1))
        #expect(!bob.isConnected(alice.certificate.publicKey, now: h.now.instant))
        #expect(bob.seenOnLAN(certificate: try UncheckedCertificate(parsing: alice.certificate.encoded), at: lan, now: h.now) != nil)
        #expect(bob.endpoint(of: alice.certificate.publicKey) == alice.endpoint)
    }

    @Test("a member not known before becomes reachable at the LAN address it was heard at")
    func unknownMemberIsIntroduced() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        let alice = h.nodes[1].manager, bob = h.nodes[0].certificate
        #expect(alice.seenOnLAN(certificate: try UncheckedCertificate(parsing: bob.encoded), at: lan, now: h.now) != nil)
        #expect(alice.endpoint(of: bob.publicKey) == lan)
        #expect(alice.status(now: h.now.instant).first?.foundBy == "lan")
    }

    @Test("a member heard on the LAN is not pruned as idle at the next tick of a node that has run for hours")
    func heardMemberIsNotIdle() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        // The monotonic clock counts from boot: an idle check against time zero would find
        // every new peer idle for hours.
        h.advance(.seconds(3 * 3600))
        let alice = h.nodes[1].manager, bob = h.nodes[0]
        #expect(alice.seenOnLAN(certificate: try UncheckedCertificate(parsing: bob.certificate.encoded), at: lan, now: h.now) != nil)
        h.tick(1)
        #expect(alice.snapshot(now: h.now.instant).route(to: .v4(bob.ipv4)) != nil)
        #expect(alice.endpoint(of: bob.certificate.publicKey) == lan)
    }

    @Test("a second LAN address is a further candidate, not a new endpoint")
    func secondAddressIsACandidate() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        let alice = h.nodes[1].manager, bob = h.nodes[0].certificate
        let other = Endpoint("[fd77::b]:51820")!
        let certificate = try UncheckedCertificate(parsing: bob.encoded)
        let link = try #require(alice.seenOnLAN(certificate: certificate, at: lan, now: h.now))
        alice.seenOnLAN(certificate: certificate, at: other, now: h.now)
        #expect(alice.endpoint(of: bob.publicKey) == lan)
        var actions: [SessionAction] = []
        alice.hold(packet: ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), for: link, now: h.now, into: &actions)
        #expect(destinations(actions) == [lan, other])
    }

    @Test("a working session is left alone")
    func workingSessionUntouched() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        let bob = h.nodes[0].manager, alice = h.nodes[1]
        #expect(bob.seenOnLAN(certificate: try UncheckedCertificate(parsing: alice.certificate.encoded), at: lan, now: h.now) != nil)
        #expect(bob.endpoint(of: alice.certificate.publicKey) == alice.endpoint)
        #expect(bob.isConnected(alice.certificate.publicKey, now: h.now.instant))
    }

    @Test("a beacon that reaches the node's own socket (unicast, or a relay envelope's) is dropped as unsolicited")
    func beaconOnTheMainSocket() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        // type 6 ‖ 0 0 0 ‖ port ‖ certificate length 0: what anyone can send to the port.
        let beacon: [UInt8] = [6, 0, 0, 0, 0xca, 0x6c, 0, 0]
        _ = h.receive(beacon, at: 0, from: Endpoint("192.168.1.66:40000")!)
        _ = h.receive([5, 0, 0, 0, 0, 0, 0, 1] + beacon, at: 0, from: Endpoint("192.168.1.66:40000")!)
        #expect(h.dropped == [.unsolicited, .unsolicited])
        #expect(h.nodes[0].manager.status(now: h.now.instant).isEmpty)
    }
}
