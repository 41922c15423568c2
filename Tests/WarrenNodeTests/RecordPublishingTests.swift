import Testing
import WarrenCrypto
import WarrenNode
import WarrenPKI
import WarrenWire

/// This node's record: the endpoints it names and the rendezvous nodes, and when it is
/// published again.
@Suite("Record publishing")
struct RecordPublishingTests {
    func lookup(_ net: NodeNetwork, at i: Int, of j: Int) -> LookupReport? {
        net.request(.lookup(net.members[j].ipv4), at: i)
        guard case .lookup(let report)? = net.reply(net.nextRequest, at: i) else { return nil }
        return report
    }

    @Test("the record names the host's addresses with the listen port, then its rendezvous node once a session is up")
    func endpointsAndRendezvous() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, bootstrap: [b])
        net.start(b)
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 5))])), at: a)
        net.start(a)
        let first = lookup(net, at: b, of: a)
        #expect(first?.found == true && first?.endpoints == ["192.168.1.5:51820"])
        // Published while the session to b was still coming up: no rendezvous yet.
        #expect(first?.rendezvous == [])
        net.run(for: .seconds(6))
        let second = lookup(net, at: b, of: a)
        #expect(second?.rendezvous == ["\(KeyText.publicKey(net.members[b].certificate.publicKey))@\(net.members[b].endpoint)"])
    }

    @Test("advertised endpoints replace what the host has")
    func advertised() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, bootstrap: [b]) { $0.advertise = [Endpoint("203.0.113.9:4500")!] }
        net.start(b)
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 5))])), at: a)
        net.start(a)
        #expect(lookup(net, at: b, of: a)?.endpoints == ["203.0.113.9:4500"])
    }

    @Test("contacts are saved every five minutes and at stop")
    func savesContacts() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, bootstrap: [b])
        net.start(b)
        net.start(a)
        func saves() -> Int { net.performed[a].filter { if case .saveContacts = $0 { true } else { false } }.count }
        net.run(for: .seconds(299))
        #expect(saves() == 0)
        net.run(for: .seconds(2))
        #expect(saves() == 1)
        var actions: [NodeAction] = []
        net.members[a].node.stop(into: &actions)
        guard case .saveContacts(let contacts)? = actions.first else {
            Issue.record("no contacts saved at stop: \(actions)")
            return
        }
        #expect(contacts.map(\.publicKey) == [net.members[b].certificate.publicKey])
    }
}
