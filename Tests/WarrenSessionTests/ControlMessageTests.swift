import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenSession

@Suite("Control messages inside sessions")
struct ControlMessageTests {
    @Test("a control message to a node never heard of starts a handshake and arrives after it")
    func toStranger() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        var actions: [SessionAction] = []
        let message: [UInt8] = [0x01, 0x02, 0x03]
        h.nodes[1].manager.sendControl(message, to: h.nodes[0].certificate.publicKey, endpoint: h.nodes[0].endpoint,
                                       now: h.now, into: &actions)
        #expect(actions.count == 1)
        h.run(actions, from: 1)
        // The message was delivered as a control message (captured, not an IP packet).
        let controls = h.captured.filter { $0.count == TransportHeader.overhead + message.count }
        #expect(controls.count == 1)
        #expect(h.nodes[0].manager.status(now: h.now.instant).first?.name == "alice")
    }

    @Test("with a session, a control message is sent at once")
    func withSession() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        var actions: [SessionAction] = []
        h.nodes[1].manager.sendControl([0x01, 9], to: h.nodes[0].certificate.publicKey, endpoint: nil, now: h.now, into: &actions)
        guard case .send(let bytes, let to)? = actions.first else { Issue.record("nothing sent"); return }
        #expect(to == h.nodes[0].endpoint)
        #expect(bytes.count == TransportHeader.overhead + 2)
    }

    @Test("a control message to a node with another CA's certificate is never delivered")
    func toForeignNode() {
        let h = SessionHarness()
        h.addNode("mallory", host: 3, foreign: true)
        h.addNode("alice", host: 1)
        var actions: [SessionAction] = []
        h.nodes[1].manager.sendControl([0x01], to: h.nodes[0].certificate.publicKey, endpoint: h.nodes[0].endpoint,
                                       now: h.now, into: &actions)
        h.run(actions, from: 1)
        #expect(h.captured.isEmpty)
        #expect(h.nodes[1].manager.recentRefusals.first?.reason.contains("another CA") == true)
    }
}
