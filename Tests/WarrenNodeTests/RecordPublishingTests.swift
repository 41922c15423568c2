import Testing
import WarrenCrypto
import WarrenDHT
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

    @Test("the record names the host's addresses with the listen port, and its rendezvous node")
    func endpointsAndRendezvous() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, bootstrap: [b])
        net.start(b)
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 5))])), at: a)
        net.start(a)
        // The session to b is up once its handshake came back; the record waits for it.
        #expect(net.status(a).dht.records == 0)
        net.timeout(a)
        let record = lookup(net, at: b, of: a)
        #expect(record?.found == true && record?.endpoints == ["192.168.1.5:51820"])
        #expect(record?.rendezvous == ["\(KeyText.publicKey(net.members[b].certificate.publicKey))@\(net.members[b].endpoint)"])
    }

    @Test("with more bootstrap nodes than a record names, members take the nearest they reach, so they spread")
    func rendezvousSpreadByDistance() {
        let net = NodeNetwork()
        let bootstrap = (1...6).map { net.add("b\($0)", host: UInt8($0)) }
        let members = (0..<8).map { net.add("m\($0)", host: UInt8(20 + $0), bootstrap: bootstrap) }
        for b in bootstrap { net.start(b) }
        // The first member's nearest bootstrap node is down when it starts.
        let id = { (i: Int) in NodeID(publicKey: net.members[i].certificate.publicKey) }
        let nearestFirst = { (m: Int) in bootstrap.sorted { id(m).isNearer(id($0), than: id($1)) } }
        let down = nearestFirst(members[0])[0]
        net.vanish(down)
        for m in members {
            net.start(m)
            net.timeout(m)
        }
        var used: Set<Int> = []
        for m in members {
            let expected = nearestFirst(m).filter { $0 != down }.prefix(PeerRecord.maxRendezvous)
            let named = lookup(net, at: expected.first!, of: m)?.rendezvous
            #expect(named == expected.map { "\(KeyText.publicKey(net.members[$0].certificate.publicKey))@\(net.members[$0].endpoint)" },
                    "\(net.members[m].name)")
            used.formUnion(expected)
        }
        // Listed order would have put every member on b1, b2 and b3.
        #expect(used.count > PeerRecord.maxRendezvous)
    }

    @Test("the record reaches the rendezvous node at once, while the publishing lookup waits for a contact nobody reaches")
    func storedAtRendezvousFirst() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let c = net.add("c", host: 3, bootstrap: [b])
        net.start(b)
        net.start(c)
        net.timeout(c)
        // b knows c as a DHT contact; c's endpoint now leads nowhere (behind a symmetric NAT,
        // say, it is only c's mapping towards b).
        net.vanish(c)
        let held = net.status(b).dht.records
        let a = net.add("a", host: 2, bootstrap: [b])
        net.start(a)
        net.timeout(a)
        // Under a's address and under its node key.
        #expect(net.status(b).dht.records == held + 2)
    }

    @Test("a joining node whose bootstrap nodes do not answer publishes after ten seconds, not before")
    func joinPatience() {
        let net = NodeNetwork()
        let a = net.add("a", host: 2) { NodeDeadlineTests.silentBootstrap(&$0) }
        net.start(a)
        net.run(for: .milliseconds(9900))
        #expect(net.status(a).dht.records == 0)
        net.run(for: .milliseconds(200))
        // Under its address and under its node key.
        #expect(net.status(a).dht.records == 2)
    }

    @Test("a node without bootstrap nodes publishes at once")
    func noBootstrap() {
        let net = NodeNetwork()
        let a = net.add("a", host: 2)
        net.start(a)
        #expect(net.status(a).dht.records == 2)
    }

    @Test("a member met in a direct session becomes a DHT contact, saved at stop")
    func sessionPeersAreContacts() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, staticPeers: [b])
        net.start(b)
        net.start(a)
        #expect(net.status(a).dht.contacts == 1 && net.status(b).dht.contacts == 1)
        var actions: [NodeAction] = []
        net.members[b].node.stop(into: &actions)
        guard case .saveContacts(let contacts)? = actions.first else {
            Issue.record("no contacts saved at stop: \(actions)")
            return
        }
        #expect(contacts == [Contact(publicKey: net.members[a].certificate.publicKey, endpoint: net.members[a].endpoint)])
    }

    @Test("advertised endpoints replace what the host has")
    func advertised() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, bootstrap: [b]) { $0.advertise = [Endpoint("203.0.113.9:4500")!] }
        net.start(b)
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 5))])), at: a)
        net.start(a)
        net.timeout(a)
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
