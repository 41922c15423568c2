import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

/// WireGuard's cookie reply (§5.4.7): under load, a handshake message needs a mac2 keyed by
/// a cookie bound to its source address.
@Suite("Cookies under load")
struct CookieTests {
    /// bob (index 0), alice (index 1, static peer: bob), nothing sent yet.
    func pair() -> SessionHarness {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        return h
    }

    func sends(_ actions: [SessionAction]) -> [(bytes: [UInt8], to: Endpoint)] {
        actions.compactMap { if case .send(let bytes, let to) = $0 { (bytes, to) } else { nil } }
    }

    @Test("at rest, an initiation without mac2 is answered")
    func atRest() {
        let h = pair()
        h.start(1)
        #expect(h.nodes[1].manager.status(now: h.now.instant).map(\.state) == [.connected])
        #expect(h.dropped.isEmpty)
    }

    /// What bob's receive and control threads make of `bytes` from `endpoint`: the drop
    /// reason, if any.
    func verdict(_ h: SessionHarness, _ bytes: [UInt8], from endpoint: Endpoint) -> DropReason? {
        h.dropped = []
        _ = h.receive(bytes, at: 0, from: endpoint)
        return h.dropped.first
    }

    @Test("under load, a first initiation gets a 64-byte cookie reply; alice resends at once with mac2 and is answered")
    func cookieRoundTrip() throws {
        let h = pair()
        h.receiveThread(0).backlog = HandshakeLoad.backlogThreshold
        var started: [SessionAction] = []
        h.nodes[1].manager.start(now: h.now, into: &started)
        let initiation = try #require(sends(started).first).bytes
        // Bob, under load, answers the bare initiation with a cookie reply and nothing else.
        let (bobActions, _) = h.receive(initiation, at: 0, from: h.nodes[1].endpoint)
        #expect(h.dropped == [.underLoad])
        #expect(h.nodes[0].manager.status(now: h.now.instant).isEmpty)
        let reply = try #require(sends(bobActions).first)
        #expect(sends(bobActions).count == 1 && reply.bytes.count == CookieReply.byteCount && reply.bytes[0] == 3)
        #expect(reply.to == h.nodes[1].endpoint)
        // The whole exchange, in the harness: the second initiation carries mac2 and passes.
        h.dropped = []
        h.run(started, from: 1)
        #expect(h.dropped == [.underLoad])
        #expect(h.nodes[1].manager.status(now: h.now.instant).map(\.state) == [.connected])
    }

    @Test("a cookie is bound to the address it was given to and to the secret of its two minutes")
    func cookieBinding() throws {
        let h = pair()
        h.receiveThread(0).backlog = 1000
        h.start(1)
        #expect(h.nodes[1].manager.status(now: h.now.instant).map(\.state) == [.connected])
        // Alice's next initiation carries her cookie's mac2: from her address it passes the
        // cookie check, from another it gets a cookie reply.
        func rekeyInitiation() throws -> [UInt8] {
            var actions: [SessionAction] = []
            let manager = h.nodes[1].manager
            manager.initiate(try #require(manager.peers[h.nodes[0].certificate.publicKey]), now: h.now, into: &actions)
            return try #require(sends(actions).first).bytes
        }
        h.advance(.seconds(1))
        #expect(verdict(h, try rekeyInitiation(), from: Endpoint("198.51.100.1:51820")!) == .underLoad)
        #expect(verdict(h, try rekeyInitiation(), from: h.nodes[1].endpoint) != .underLoad)
        // Two minutes on, bob's secret has changed and the old cookie is worth nothing.
        h.advance(.seconds(121))
        var message = try HandshakeInitiation(parsing: try rekeyInitiation())
        let stale = try #require(h.nodes[1].manager.peers[h.nodes[0].certificate.publicKey]?.cookie?.bytes)
        message.mac2 = HandshakeMAC.mac2(message.bytesBeforeMAC2, cookie: stale)
        #expect(verdict(h, message.encoded, from: h.nodes[1].endpoint) == .underLoad)
    }

    @Test("a cookie reply not sealed to the mac1 alice sent is refused and changes nothing")
    func forgedCookieReply() throws {
        let h = pair()
        var started: [SessionAction] = []
        h.nodes[1].manager.start(now: h.now, into: &started)
        let initiation = try HandshakeInitiation(parsing: try #require(sends(started).first).bytes)
        let bobKey = try #require(Ed25519.x25519PublicKey(from: h.nodes[0].certificate.publicKey))
        let nonce = [UInt8](repeating: 4, count: CookieReply.nonceByteCount)
        let forged = CookieReply(receiverIndex: initiation.senderIndex, nonce: nonce,
                                 encryptedCookie: XChaChaPoly.seal(key: HandshakeMAC.cookieKey(for: bobKey), nonce: nonce,
                                                                   aad: [UInt8](repeating: 0, count: 16),
                                                                   plaintext: [UInt8](repeating: 1, count: 16)))
        var out: [SessionAction] = []
        #expect(h.nodes[1].manager.handleHandshake(forged.encoded, from: .direct(h.nodes[0].endpoint), now: h.now, into: &out)
                == .authenticationFailed)
        #expect(out.isEmpty)
        #expect(h.nodes[1].manager.peers[h.nodes[0].certificate.publicKey]?.cookie == nil)
    }

    @Test("load lasts a second after the last large backlog")
    func loadLingers() {
        var load = HandshakeLoad()
        let t0 = Instant(nanoseconds: 5_000_000_000)
        load.note(backlog: HandshakeLoad.backlogThreshold - 1, now: t0)
        #expect(!load.isUnderLoad(at: t0))
        load.note(backlog: HandshakeLoad.backlogThreshold, now: t0)
        #expect(load.isUnderLoad(at: t0 + .milliseconds(999)))
        #expect(!load.isUnderLoad(at: t0 + .seconds(1)))
    }

    @Test("more than 200 handshake messages a second past the gate, with no backlog, are load too")
    func loadFromRate() {
        var load = HandshakeLoad()
        let t0 = Instant(nanoseconds: 5_000_000_000)
        for _ in 0..<200 { load.note(backlog: 0, now: t0) }
        #expect(!load.isUnderLoad(at: t0))
        load.note(backlog: 0, now: t0)
        #expect(load.isUnderLoad(at: t0 + .milliseconds(999)))
        #expect(!load.isUnderLoad(at: t0 + .seconds(1)))
        // 100 a second, for a minute, never are.
        var calm = HandshakeLoad()
        for i in 0..<6000 { calm.note(backlog: 0, now: t0 + .milliseconds(10 * i)) }
        #expect(!calm.isUnderLoad(at: t0 + .seconds(60)))
    }
}
