import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

/// Issue 11, finding 9: a member could send a subnet router packets for any network the
/// router reaches. Only this node's addresses and its own certificate's subnets are
/// destinations a peer's packet may have.
@Suite("Inbound destinations")
struct InboundDestinationTests {
    /// alice (static peer: bob, who routes 192.168.50.0/24) and bob, handshaken.
    func connected() -> SessionHarness {
        let h = SessionHarness()
        h.addNode("bob", host: 2, subnets: [IPPrefix("192.168.50.0/24")!])
        h.addNode("alice", host: 1, staticPeers: [0])
        h.addNode("carol", host: 3)
        h.start(1)
        return h
    }

    /// A packet alice seals for bob with her real keys, whatever its destination: what a
    /// member running modified code can send.
    func sealedByAlice(_ h: SessionHarness, to destination: IPAddress) throws -> [UInt8] {
        let route = try #require(h.nodes[1].manager.snapshot(now: h.now.instant).route(to: .v4(h.nodes[0].ipv4)))
        let keypair = try #require(route.keypair)
        var packet: [UInt8]
        switch destination {
        case .v4(let a):
            packet = ipv4Packet(from: h.nodes[1].ipv4, to: a)
        case .v6(let a):
            packet = [0x60, 0, 0, 0, 0, 4, 58, 64] + h.nodes[1].certificate.body.ipv6.address.bytes + a.bytes + [128, 0, 0, 0]
        }
        var datagram = [UInt8](repeating: 0, count: TransportHeader.overhead + packet.count)
        datagram.replaceSubrange(TransportHeader.byteCount..<TransportHeader.byteCount + packet.count, with: packet)
        _ = datagram.withUnsafeMutableBytes { keypair.seal($0, payloadCount: packet.count, now: h.now.instant) }
        return datagram
    }

    @Test("packets for bob's own addresses and his certificate's subnet are delivered")
    func local() throws {
        let h = connected()
        for destination in [IPAddress.v4(h.nodes[0].ipv4), h.nodes[0].certificate.body.ipv6.address, IPAddress("192.168.50.7")!] {
            let (_, delivered) = h.receive(try sealedByAlice(h, to: destination), at: 0, from: h.nodes[1].endpoint)
            #expect(delivered.count == 1, "\(destination): dropped \(h.dropped)")
        }
    }

    @Test("packets for another member, a network bob does not route, or multicast are dropped as destination_not_local")
    func notLocal() throws {
        let h = connected()
        for destination in [IPAddress.v4(h.nodes[2].ipv4), IPAddress("192.168.51.7")!, IPAddress("172.16.0.1")!,
                            IPAddress("224.0.0.251")!, IPAddress("ff02::1")!, IPAddress("10.8.255.255")!] {
            h.dropped = []
            let (_, delivered) = h.receive(try sealedByAlice(h, to: destination), at: 0, from: h.nodes[1].endpoint)
            #expect(delivered.isEmpty && h.dropped == [.destinationNotLocal], "\(destination): \(h.dropped)")
        }
    }
}
