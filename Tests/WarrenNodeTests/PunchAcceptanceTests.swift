import Testing
import WarrenNAT
import WarrenNode
import WarrenSession
import WarrenWire

/// What punch messages a node acts on: a rendezvous node passes requests on only over
/// sessions it has, a notice nobody asked for is ignored, and a member's messages are
/// rationed.
@Suite("Punch acceptance")
struct PunchAcceptanceTests {
    func network() -> (NodeNetwork, a: Int, b: Int, r: Int) {
        let net = NodeNetwork()
        let r = net.add("r", host: 1)
        let a = net.add("a", host: 2, staticPeers: [r])
        let b = net.add("b", host: 3, staticPeers: [r])
        for i in [r, a, b] { net.start(i) }
        net.run(for: .seconds(1))
        return (net, a, b, r)
    }

    @Test("a rendezvous node passes a request on to the peer named, and tells the requester where that peer is")
    func passesOn() {
        let (net, a, b, r) = network()
        let request = PunchMessage(kind: .request, peer: net.members[b].certificate.publicKey, record: [1, 2, 3])
        let before = (net.performed[a].count, net.performed[b].count)
        net.sendControl(request.encoded, from: a, to: r)
        #expect(net.logs(at: r).contains { $0.message == "passing on a punch request" && $0.fields[.from] == "a" })
        // Each side got a notice; with no verifiable record, b ignores its own (and counts it).
        #expect(net.performed[a].count > before.0 && net.performed[b].count > before.1)
        #expect(net.members[b].node.drops[.unsolicited] == 1)
    }

    @Test("a request for a peer the rendezvous node has no session with goes nowhere")
    func noSession() {
        let (net, a, _, r) = network()
        let stranger = net.add("stranger", host: 9)
        let sent = net.performed[r].count
        net.sendControl(PunchMessage(kind: .request, peer: net.members[stranger].certificate.publicKey).encoded, from: a, to: r)
        #expect(net.logs(at: r).contains { $0.message == "punch request for a peer without a direct session" })
        #expect(!net.performed[r][sent...].contains { if case .send(_, let e) = $0 { e == net.members[stranger].endpoint } else { false } })
    }

    @Test("a notice that answers no request of ours is ignored and counted")
    func unsolicitedNotice() {
        let (net, a, b, r) = network()
        net.sendControl(PunchMessage(kind: .notice, peer: net.members[b].certificate.publicKey, seen: Endpoint("198.51.100.7:4000")!).encoded,
                        from: r, to: a)
        #expect(net.members[a].node.drops[.unsolicited] == 1)
        #expect(net.logs(at: a).contains { $0.message == "punch notice ignored" })
    }

    @Test("malformed punch messages are counted; beyond the burst, messages are dropped")
    func malformedAndRationed() {
        let (net, a, b, r) = network()
        net.sendControl([PunchMessage.controlKind, 0xff], from: a, to: r)
        #expect(net.members[r].node.drops[.malformed] == 1)
        let request = PunchMessage(kind: .request, peer: net.members[b].certificate.publicKey).encoded
        for _ in 0..<11 { net.sendControl(request, from: a, to: r) }
        #expect(net.members[r].node.drops[.rateLimited] == 1)
    }
}

/// Two members behind one NAT: where their punches go first.
@Suite("Punching on a shared LAN")
struct SharedLANPunchTests {
    @Test("a punch goes first to the peer's address on a LAN of ours, then to where the rendezvous node saw it")
    func lanFirst() {
        let net = NodeNetwork()
        let r = net.add("r", host: 1)
        let a = net.add("a", host: 2, bootstrap: [r])
        let b = net.add("b", host: 3, bootstrap: [r])
        let lan = Endpoint("192.168.1.5:51820")!
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 5))])), at: a)
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 6))],
                                                 networks: [IPPrefix("192.168.1.0/24")!])), at: b)
        // They meet only through r until a punch: what each sends the other is lost.
        net.blocked = [[a, b], [b, a]]
        for i in [r, a, b] { net.start(i) }
        net.run(for: .seconds(1))
        let before = net.performed[b].count
        // a wants b: it looks b up and asks b's rendezvous node, r, to pass on its request.
        net.handle(.packet(.unroutable(net.members[b].ipv4, packet: [])), at: a)
        net.run(for: .milliseconds(500))
        #expect(net.logs(at: b).contains { $0.message == "punching" })
        let initiations = net.performed[b][before...].compactMap { action -> Endpoint? in
            guard case .send(let bytes, let endpoint) = action, bytes.first == 1, endpoint != net.members[r].endpoint else { return nil }
            return endpoint
        }
        #expect(initiations.prefix(2) == [lan, net.members[a].endpoint], "\(initiations)")
    }
}
