import Testing
import WarrenCrypto
@testable import WarrenPKI
import WarrenWire
@testable import WarrenSession

@Suite("Address ownership")
struct AddressOwnershipTests {
    static let contested = IPv4Address(10, 8, 0, 3)

    @Test("the newer of two certificates for one address wins it, whichever handshakes first", arguments: [false, true])
    func newestWins(newFirst: Bool) {
        let h = SessionHarness()
        let bob = h.addNode("bob", host: 2)
        let old = h.addNode("old", host: 3, overlayHost: 3, staticPeers: [bob], notBefore: 100)
        let new = h.addNode("new", host: 4, overlayHost: 3, staticPeers: [bob], notBefore: 500)
        for i in newFirst ? [new, old] : [old, new] {
            h.start(i)
            h.advance(.seconds(1))
        }
        #expect(h.nodes[bob].manager.status(now: h.now.instant).map(\.state) == [.connected, .connected])
        let bobAddress = h.nodes[bob].ipv4

        let toContested = h.send(ipv4Packet(from: bobAddress, to: Self.contested), from: bob)
        #expect(toContested.map(\.to) == [new], "bob's packet to the address goes to the newer certificate")
        let fromNew = h.send(ipv4Packet(from: Self.contested, to: bobAddress), from: new)
        #expect(fromNew.map(\.to) == [bob])
        let fromOld = h.send(ipv4Packet(from: Self.contested, to: bobAddress), from: old)
        #expect(fromOld.isEmpty, "the older certificate's holder may not send as the address")
        #expect(h.dropped.last == .sourceNotOwned)
    }

    @Test("a re-keyed node's newer certificate takes over its address from the old key's")
    func rekeyedNodeTakesOver() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        h.advance(.seconds(5))
        h.addNode("alice-new", host: 5, overlayHost: 1, staticPeers: [0], notBefore: 1000)
        h.start(2)
        let route = h.nodes[0].manager.snapshot(now: h.now.instant).route(to: .v4(h.nodes[1].ipv4))
        #expect(route?.link.name == "alice-new")
    }

    /// A certificate as a buggy or older CA signs it, past `CertificateAuthority.sign`'s
    /// checks: 10.8.0.9 routing 0.0.0.0/0, a /64 of the overlay's ULA, and 192.168.50.0/24.
    func greedyCertificate(_ h: SessionHarness, key: borrowing SigningKey) -> Certificate {
        let ca = h.ca.certificate.body
        let ula = IPPrefix(address: ca.ipv6.address, length: 64)!
        let body = CertificateBody(kind: .node, name: "greedy", publicKey: key.publicKey, issuer: ca.publicKey,
                                   notBefore: 0, notAfter: 100_000, ipv4: IPPrefix("10.8.0.9/16")!,
                                   ipv6: OverlayAddressing.nodeIPv6(network: ca.ipv6, ipv4: IPv4Address(10, 8, 0, 9)),
                                   subnets: [IPPrefix("0.0.0.0/0")!, ula, IPPrefix("192.168.50.0/24")!])
        return Certificate(unchecked: UncheckedCertificate(body: body, signature: h.ca.key.sign(body.signedBytes())))
    }

    @Test("a certificate with a subnet over the overlay is refused at handshake, and status says why")
    func overlappingSubnetRefused() {
        let h = SessionHarness()
        let bob = h.addNode("bob", host: 2)
        let key = SigningKey(random: &h.rng)
        let certificate = greedyCertificate(h, key: key)
        let peers = [PeerConfig(publicKey: h.nodes[bob].certificate.publicKey, endpoint: h.nodes[bob].endpoint)]
        let manager = SessionManager(identity: key, certificate: certificate, authority: h.ca.certificate, peers: peers,
                                     blocklist: [], random: SeededRandom(seed: 9))
        h.nodes.append(.init(name: "greedy", manager: manager, endpoint: Endpoint("192.0.2.9:51820")!, certificate: certificate))
        h.start(1)
        #expect(h.nodes[bob].manager.recentRefusals.first?.reason
                == "subnet 0.0.0.0/0 overlaps the overlay network 10.8.0.0/16, whose addresses only members hold")
        #expect(h.nodes[bob].manager.status(now: h.now.instant).isEmpty)
    }

    @Test("routing never lets a subnet claim an overlay address, even from a certificate that got past verification")
    func snapshotExcludesOverlay() throws {
        let h = SessionHarness()
        let bob = h.addNode("bob", host: 2)
        let manager = h.nodes[bob].manager
        let key = SigningKey(random: &h.rng)
        let handshakeKey = try #require(Ed25519.x25519PublicKey(from: key.publicKey))
        let peer = Peer(publicKey: key.publicKey, handshakeKey: handshakeKey, isStatic: false, endpoint: nil,
                        persistentKeepalive: nil, foundBy: .handshake)
        let link = PeerLink(certificate: greedyCertificate(h, key: key), handshakeKey: handshakeKey)
        peer.link = link
        manager.peers[key.publicKey] = peer
        manager.routingChanged(peer)

        let snapshot = manager.snapshot(now: h.now.instant)
        let member = IPAddress.v4(IPv4Address(10, 8, 0, 77))
        let memberIPv6 = OverlayAddressing.nodeIPv6(network: h.ca.certificate.body.ipv6, ipv4: IPv4Address(10, 8, 0, 77)).address
        #expect(snapshot.route(to: member) == nil)
        #expect(snapshot.route(to: memberIPv6) == nil)
        #expect(!snapshot.accepts(source: member, from: link))
        #expect(!snapshot.accepts(source: memberIPv6, from: link))
        #expect(snapshot.route(to: .v4(IPv4Address(8, 8, 8, 8))) == nil, "0.0.0.0/0 routes nothing at all")
        #expect(snapshot.accepts(source: .v4(IPv4Address(10, 8, 0, 9)), from: link), "its own address stays its own")
        #expect(snapshot.accepts(source: .v4(IPv4Address(192, 168, 50, 1)), from: link), "a subnet outside the overlay still routes")
    }
}
