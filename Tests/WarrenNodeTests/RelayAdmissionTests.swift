import Testing
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// Who may use this node as a relay, and whom a member believes when told a relay channel.
@Suite("Relay admission")
struct RelayAdmissionTests {
    /// a and b each with a session to r (a relay when `relayRole`), none to each other.
    func network(relayRole: Bool) -> (NodeNetwork, a: Int, b: Int, r: Int) {
        let net = NodeNetwork()
        let r = net.add("r", host: 1, roles: relayRole ? .relay : [])
        let a = net.add("a", host: 2, staticPeers: [r])
        let b = net.add("b", host: 3, staticPeers: [r])
        for i in [r, a, b] { net.start(i) }
        net.run(for: .seconds(1))
        return (net, a, b, r)
    }

    func request(_ net: NodeNetwork, from a: Int, to r: Int, towards b: Int) {
        net.sendControl(RelayMessage(kind: .request, peer: net.members[b].certificate.publicKey).encoded, from: a, to: r)
    }

    @Test("a relay joins two members it has sessions with and tells both their channels")
    func binds() {
        let (net, a, b, r) = network(relayRole: true)
        request(net, from: a, to: r, towards: b)
        #expect(net.status(r).relay?.pairs == 1)
        #expect(net.logs(at: a).contains { $0.message == "relay bound" && $0.fields[.via] == "r" })
        #expect(net.logs(at: b).contains { $0.message == "relay bound" && $0.fields[.via] == "r" })
        #expect(net.performed[r].contains { if case .publishForwarding(let f) = $0 { !f.isEmpty } else { false } })
    }

    @Test("a node without the relay role binds nothing")
    func notARelay() {
        let (net, a, b, r) = network(relayRole: false)
        request(net, from: a, to: r, towards: b)
        #expect(net.status(r).relay == nil)
        #expect(net.logs(at: r).contains { $0.message == "relay request not bound" })
        #expect(!net.logs(at: a).contains { $0.message == "relay bound" })
    }

    @Test("a relay binds no member it has no session with, and not a member to itself")
    func unknownPeer() {
        let (net, a, _, r) = network(relayRole: true)
        let stranger = net.add("stranger", host: 9)
        request(net, from: a, to: r, towards: stranger)
        request(net, from: a, to: r, towards: a)
        request(net, from: a, to: r, towards: r)
        #expect(net.status(r).relay?.pairs == 0)
    }

    @Test("a channel from a member that is not a relay is not believed")
    func boundFromNonRelay() {
        let (net, a, b, r) = network(relayRole: false)
        net.sendControl(RelayMessage(kind: .bound(channel: 7), peer: net.members[b].certificate.publicKey).encoded, from: r, to: a)
        #expect(!net.logs(at: a).contains { $0.message == "relay bound" })
    }

    @Test("a member's requests beyond the burst are dropped and counted")
    func rateLimited() {
        let (net, a, b, r) = network(relayRole: true)
        for _ in 0..<11 { request(net, from: a, to: r, towards: b) }
        #expect(net.members[r].node.drops[.rateLimited] == 1)
    }
}
