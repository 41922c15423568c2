import Testing
import FoundationEssentials
import WarrenCrypto
import WarrenPKI
import WarrenSession
import WarrenWire

@Suite("Relayed and direct paths")
struct RelayPathTests {
    /// Alice (node 1) holds a packet for bob (node 0), whom she knows from his record, while
    /// no direct datagram gets through either way.
    static func blockedPair() throws -> (SessionHarness, packet: [UInt8]) {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        h.blocked = [[0, 1], [1, 0]]
        let link = try #require(h.nodes[1].manager.introduce(certificate: UncheckedCertificate(parsing: h.nodes[0].certificate.encoded),
                                                               endpoints: [h.nodes[0].endpoint], now: h.now))
        let packet = ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4)
        var actions: [SessionAction] = []
        h.nodes[1].manager.hold(packet: packet, for: link, now: h.now, into: &actions)
        #expect(h.run(actions, from: 1).isEmpty, "the direct initiation is lost")
        return (h, packet)
    }

    static let relayKey = Key32(bytes: [UInt8](repeating: 7, count: 32))!

    func path(_ h: SessionHarness, at node: Int) -> String? { h.nodes[node].manager.status(now: h.now.instant).first?.path?.description }

    @Test("a relay's channels carry the pending handshake and the held packet at once")
    func relayedAtOnce() throws {
        let (h, packet) = try Self.blockedPair()
        let delivered = h.bindRelay(1, 0, relayKey: Self.relayKey)
        #expect(delivered.count == 1 && delivered.first?.to == 0 && delivered.first?.packet == packet)
        #expect(path(h, at: 1) == "relayed via \(h.relayEndpoint)")
        #expect(path(h, at: 0) == "relayed via \(h.relayEndpoint)")
        // Probes to the direct address are lost: packets keep taking the relay.
        h.advance(.seconds(1))
        h.tick(1)
        h.tick(0)
        let second = h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4, payload: [9]), from: 1)
        #expect(second.count == 1 && second.first?.to == 0)
        #expect(path(h, at: 1) == "relayed via \(h.relayEndpoint)")
    }

    @Test("an echo that comes back directly moves the path to direct; silence moves it back to the relay")
    func upgradeAndFallBack() throws {
        let (h, _) = try Self.blockedPair()
        h.bindRelay(1, 0, relayKey: Self.relayKey)
        // A ping through the relay is echoed through the relay: that proves nothing direct.
        var actions: [SessionAction] = []
        h.nodes[1].manager.sendControl(PathProbe(kind: .request, id: 1).encoded, to: h.nodes[0].certificate.publicKey,
                                       endpoint: nil, now: h.now, into: &actions)
        h.run(actions, from: 1)
        #expect(path(h, at: 1) == "relayed via \(h.relayEndpoint)")

        // The NATs open (a punch worked): the next probes are answered directly.
        h.blocked = []
        h.advance(.seconds(1))
        h.tick(1)
        #expect(path(h, at: 1) == nil, "alice sends directly")
        h.tick(0)
        #expect(path(h, at: 0) == nil, "bob sends directly")
        let direct = try #require(h.seal(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1))
        #expect(direct.to == 0 && direct.datagram[0] == MessageType.transport.rawValue)

        // The direct path breaks: once it has been silent for the trust period, packets take
        // the relay again, and still arrive.
        h.blocked = [[0, 1], [1, 0]]
        for _ in 0..<16 {
            h.advance(.seconds(1))
            h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
            h.tick(1)
        }
        #expect(path(h, at: 1) == "relayed via \(h.relayEndpoint)")
        let after = h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4, payload: [5]), from: 1)
        #expect(after.count == 1 && after.first?.to == 0)
    }

    @Test("a handshake answered directly needs no probe, even with a relay bound")
    func directHandshakeConfirms() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        let link = try #require(h.nodes[1].manager.introduce(certificate: UncheckedCertificate(parsing: h.nodes[0].certificate.encoded),
                                                               endpoints: [h.nodes[0].endpoint], now: h.now))
        // The relay's channels arrive before the packet: the initiation goes both ways.
        h.blocked = [[0, 1], [1, 0]]
        h.bindRelay(1, 0, relayKey: Self.relayKey)
        h.blocked = []
        var actions: [SessionAction] = []
        h.nodes[1].manager.hold(packet: ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), for: link, now: h.now, into: &actions)
        let initiations = actions.compactMap { if case .send(_, let e) = $0 { e } else { nil } }
        #expect(initiations == [h.nodes[0].endpoint, h.relayEndpoint])
        #expect(h.run(actions, from: 1).count == 1)
        #expect(path(h, at: 1) == nil, "alice's initiation was answered directly")
    }

    @Test("guessed addresses get probes while probing is eager, and the one that answers becomes the direct path")
    func predictedAddresses() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1)
        // Alice knows bob only where a symmetric NAT no longer maps him.
        let bob = h.nodes[0].endpoint, bobKey = h.nodes[0].certificate.publicKey
        let stale = Endpoint(address: bob.address, port: bob.port &- 7)
        let link = try #require(h.nodes[1].manager.introduce(certificate: UncheckedCertificate(parsing: h.nodes[0].certificate.encoded),
                                                               endpoints: [stale], now: h.now))
        var actions: [SessionAction] = []
        h.nodes[1].manager.hold(packet: ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), for: link, now: h.now, into: &actions)
        h.run(actions, from: 1)
        #expect(h.bindRelay(1, 0, relayKey: Self.relayKey).count == 1)
        h.advance(.seconds(1))
        h.tick(1)
        #expect(path(h, at: 1) == "relayed via \(h.relayEndpoint)", "probes to the stale address are lost")

        let guesses = (1...8).map { Endpoint(address: bob.address, port: stale.port + $0) }
        h.nodes[1].manager.predict(guesses, for: bobKey)
        h.advance(.seconds(1))
        var probes: [SessionAction] = []
        h.nodes[1].manager.handleTimers(now: h.now, into: &probes)
        let sentTo = probes.compactMap { if case .send(_, let e) = $0 { e } else { nil } }
        #expect(sentTo == [stale] + guesses, "one probe to the known address, then one to each guess")
        h.run(probes, from: 1)
        #expect(path(h, at: 1) == nil, "bob's echo came back directly")
        #expect(h.nodes[1].manager.status(now: h.now.instant).first?.endpoint == bob.description)

        // Once the eager probing is over, guesses are no longer tried.
        h.blocked = [[0, 1], [1, 0]]
        h.nodes[1].manager.predict(guesses, for: bobKey)
        for _ in 0..<30 {
            h.advance(.seconds(1))
            h.send(ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4), from: 1)
            var late: [SessionAction] = []
            h.nodes[1].manager.handleTimers(now: h.now, into: &late)
            let targets = late.compactMap { if case .send(_, let e) = $0 { e } else { nil } }
            #expect(targets.allSatisfy { !guesses.contains($0) || $0 == bob }, "guesses probed 10 s after the relay was bound")
            h.run(late, from: 1)
        }
        #expect(path(h, at: 1) == "relayed via \(h.relayEndpoint)")
    }

    @Test("relay envelopes are parsed with bounds checks")
    func envelopes() {
        let wrapped = RelayEnvelope.wrap([4, 0, 0, 0, 1, 2, 3, 4], channel: 0xDEAD_BEEF)
        #expect(wrapped.prefix(8) == [5, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(wrapped.withUnsafeBytes { RelayEnvelope.channel($0) } == 0xDEAD_BEEF)
        #expect([5, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0].withUnsafeBytes { RelayEnvelope.channel($0) } == nil, "too short")
        #expect(RelayEnvelope.wrap([4, 0, 0, 0], channel: 0).withUnsafeBytes { RelayEnvelope.channel($0) } == nil, "channel 0")
        #expect([4, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0].withUnsafeBytes { RelayEnvelope.channel($0) } == nil, "not an envelope")
    }
}

@Suite("Peer path words")
struct PeerPathTests {
    @Test("a path keeps its words through JSON, which scripts match", arguments: [PeerPath.direct, .lan, .relayed(via: "boot")])
    func roundTrip(_ path: PeerPath) throws {
        let encoded = try JSONEncoder().encode([path])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(path)\"]")
        #expect(try JSONDecoder().decode([PeerPath].self, from: encoded) == [path])
        #expect(PeerPath("relayed via ") == nil && PeerPath("lan") == nil)
    }
}
