import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

/// Endpoints from records, punch notices and beacons pass `SessionManager.endpointPolicy`
/// before anything is sent to them (security issue #11, finding 5).
@Suite("Endpoints from the network")
struct EndpointPolicySessionTests {
    let refused = ["127.0.0.1:22", "[::1]:51820", "169.254.0.1:51820", "[fe80::1]:51820", "224.0.0.1:51820",
                   "10.8.0.9:51820", "0.0.0.0:51820", "[::ffff:127.0.0.1]:22"].map { Endpoint($0)! }

    /// Where `actions` send datagrams.
    func destinations(_ actions: [SessionAction]) -> Set<Endpoint> {
        Set(actions.compactMap { if case .send(_, let to) = $0 { to } else { nil } })
    }

    @Test("a record's refused endpoints get no handshake; its acceptable one does")
    func record() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        let alice = h.nodes[1].manager
        let good = Endpoint("192.0.2.2:51820")!
        let link = try #require(alice.introduce(certificate: UncheckedCertificate(parsing: h.nodes[0].certificate.encoded),
                                                endpoints: refused + [good], now: h.now))
        var actions: [SessionAction] = []
        alice.hold(packet: ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), for: link, now: h.now, into: &actions)
        #expect(destinations(actions) == [good])
        #expect(alice.relocate(link.publicKey, endpoints: refused, now: h.now, into: &actions) == nil)
    }

    @Test("a punch towards refused endpoints alone sends nothing; port guesses there are dropped")
    func punch() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        var actions: [SessionAction] = []
        h.nodes[1].manager.punch(towards: h.nodes[0].certificate.publicKey, candidates: refused, now: h.now, into: &actions)
        #expect(actions.isEmpty)
        h.nodes[1].manager.punch(towards: h.nodes[0].certificate.publicKey, candidates: refused + [h.nodes[0].endpoint],
                                 now: h.now, into: &actions)
        #expect(destinations(actions) == [h.nodes[0].endpoint])
    }

    @Test("a beacon from a refused address introduces nobody")
    func beacon() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        let certificate = try UncheckedCertificate(parsing: h.nodes[0].certificate.encoded)
        for endpoint in refused {
            #expect(h.nodes[1].manager.seenOnLAN(certificate: certificate, at: endpoint, now: h.now) == nil)
        }
        #expect(h.nodes[1].manager.status(now: h.now.instant).isEmpty)
    }
}
