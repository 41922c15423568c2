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
        #expect(h.nodes[1].manager.status(now: h.now.instant).map(\.state) == ["connected"], "dropped: \(h.dropped)")
        #expect(h.dropped == [.authenticationFailed])
        let ping = ipv4Packet(from: h.nodes[1].ipv4, to: h.nodes[0].ipv4)
        #expect(h.send(ping, from: 1).map(\.packet) == [ping])
    }
}
