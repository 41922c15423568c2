import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenSession

/// Handshake messages from someone who is not the peer: anyone who saw an initiation knows
/// its sender index, and mac1 is keyed by a public key, so both can be forged.
@Suite("Forged handshake messages")
struct HandshakeForgeryTests {
    @Test("a forged response does not abort the handshake: the genuine one still completes it")
    func forgedResponse() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        var started: [SessionAction] = []
        h.nodes[1].manager.start(now: h.now, into: &started)
        let sent = started.compactMap { if case .send(let bytes, _) = $0 { bytes } else { nil } }
        let initiation = try HandshakeInitiation(parsing: try #require(sent.first))

        // What an on-path stranger can build: the right index and mac1, Noise bytes of its own.
        var rng = SeededRandom(seed: 99)
        var forged = HandshakeResponse(senderIndex: 0xbad, receiverIndex: initiation.senderIndex,
                                       noise: X25519PrivateKey(random: &rng).publicKey.bytes + [UInt8](repeating: 7, count: 16))
        let aliceKey = try #require(Ed25519.x25519PublicKey(from: h.nodes[1].certificate.publicKey))
        forged.mac1 = HandshakeMAC.mac1(forged.bytesBeforeMAC, key: HandshakeMAC.key(for: aliceKey))
        _ = h.receive(forged.encoded, at: 1, from: h.nodes[0].endpoint)
        #expect(h.dropped == [.authenticationFailed])

        // The initiation reaches bob now, and his answer completes alice's handshake at once.
        h.run(started, from: 1)
        #expect(h.nodes[1].manager.status(now: h.now.instant).map(\.state) == [.connected], "dropped: \(h.dropped)")
        #expect(h.dropped == [.authenticationFailed])
        let ping = ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4)
        #expect(h.send(ping, from: 1).map(\.packet) == [ping])
    }
}

@Suite("Handshakes from strangers")
struct HandshakeStrangerTests {
    @Test("a copy of a member's certificate does not name that member in a refusal or mark its status")
    func copiedCertificateNamesNobody() throws {
        let h = SessionHarness()
        h.addNode("alice", host: 1)
        h.addNode("bob", host: 2, staticPeers: [0])
        // Mallory holds a key of her own and presents alice's certificate.
        var rng = SeededRandom(seed: 66)
        let mallory = SessionManager(identity: SigningKey(random: &rng), certificate: h.nodes[0].certificate,
                                     authority: h.ca.certificate,
                                     peers: [PeerConfig(publicKey: h.nodes[1].certificate.publicKey, endpoint: h.nodes[1].endpoint)],
                                     blocklist: [], random: SeededRandom(seed: 67))
        var actions: [SessionAction] = []
        mallory.start(now: h.now, into: &actions)
        let sent = actions.compactMap { if case .send(let bytes, _) = $0 { bytes } else { nil } }
        _ = h.receive(try #require(sent.first), at: 1, from: Endpoint("198.51.100.9:51820")!)
        let refusal = try #require(h.nodes[1].manager.recentRefusals.first)
        #expect(refusal.reason == "certificate key does not match the handshake key")
        #expect(refusal.name == nil && refusal.publicKey == nil)
        #expect(h.nodes[1].manager.status(now: h.now.instant).allSatisfy { $0.lastError == nil })
    }

    @Test("refusals from many sources get 10 log lines, then one a minute saying how many were not logged")
    func refusalLinesRationed() throws {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("eve", host: 3, staticPeers: [0], foreign: true)
        let bob = h.nodes[0].manager, eve = h.nodes[1].manager
        // Eve's real initiations, each from another address: each is a refusal of its own.
        func refusalLines(from host: Int) throws -> [Int] {
            var sent: [SessionAction] = [], out: [SessionAction] = []
            eve.start(now: h.now, into: &sent)
            guard case .send(let initiation, _)? = sent.first else { throw LabelledFailure("eve sent no initiation") }
            _ = bob.handleHandshake(initiation, from: .direct(Endpoint("198.51.100.\(host):4000")!), now: h.now, into: &out)
            return out.compactMap { if case .refused(_, let notLogged) = $0 { notLogged } else { nil } }
        }
        let lines = try (1...30).flatMap { try refusalLines(from: $0) }
        #expect(lines == Array(repeating: 0, count: 10))
        #expect(bob.recentRefusals.count == 30)
        h.advance(.seconds(61))
        #expect(try refusalLines(from: 99) == [20])
    }
}

@Suite("Oversized handshake and STUN datagrams")
struct OversizedDatagramTests {
    /// The verdict, as a word.
    func verdict(_ datagram: [UInt8]) -> String {
        var bytes = datagram
        var notices = DataPath.Notices()
        let verdict = bytes.withUnsafeMutableBytes {
            DataPath.inbound($0, from: Endpoint("198.51.100.7:51820")!, snapshot: .empty, now: Instant(nanoseconds: 1), notices: &notices)
        }
        return switch verdict {
        case .handshake: "handshake"
        case .stun: "stun"
        case .drop(let reason): reason.description
        default: "\(verdict)"
        }
    }

    @Test("handshake messages longer than their limit are dropped in the packet thread, bare or enveloped")
    func handshakes() {
        for type: UInt8 in [1, 2] {
            let fits = [type, 0, 0, 0] + [UInt8](repeating: 7, count: 1396)
            #expect(verdict(fits) == "handshake")
            #expect(verdict(RelayEnvelope.wrap(fits, channel: 5)) == "handshake")
            #expect(verdict(fits + [7]) == "malformed")
            #expect(verdict(RelayEnvelope.wrap(fits + [7], channel: 5)) == "malformed")
        }
    }

    @Test("STUN messages longer than 1280 bytes are dropped in the packet thread")
    func stun() {
        func binding(attributeBytes: Int) -> [UInt8] {
            [0x00, 0x01, UInt8(attributeBytes >> 8), UInt8(attributeBytes & 0xff), 0x21, 0x12, 0xA4, 0x42]
                + [UInt8](repeating: 3, count: 12 + attributeBytes)
        }
        #expect(verdict(binding(attributeBytes: 1260)) == "stun")
        #expect(verdict(binding(attributeBytes: 1264)) == "malformed")
    }
}

struct LabelledFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
