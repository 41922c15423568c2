import WarrenCrypto
import WarrenNoise
import WarrenPKI
public import WarrenSession
import WarrenWire

extension FuzzNetwork {
    /// The payload alice's daemon would put in an initiation at `now`.
    public var alicePayload: [UInt8] {
        HandshakePayload(timestampSeconds: now.unixSeconds, timestampNanoseconds: 0, certificate: alice.encoded).encoded
    }

    /// The payload a responder puts in its reply (a zero timestamp).
    public var aliceReplyPayload: [UInt8] {
        HandshakePayload(timestampSeconds: 0, timestampNanoseconds: 0, certificate: alice.encoded).encoded
    }

    /// A genuine initiation from alice to bob (Noise IK with alice's static key, mac1 keyed by
    /// bob's key) carrying `payload`, whatever it is: what a member of the network, or anyone
    /// who holds a key bob accepts, can make bob decrypt.
    public func initiationFromAlice(payload: [UInt8], senderIndex: UInt32 = 0x1122_3344) -> [UInt8] {
        let initiator: IKInitiator
        do {
            initiator = try IKInitiator(staticKey: aliceKey().x25519(), responderStatic: bobHandshakeKey, prologue: Self.prologue,
                                        ephemeral: Self.x25519Key(seed: 7), payload: payload)
        } catch {
            fatalError("fuzz fixture: initiation: \(error)")
        }
        var message = HandshakeInitiation(senderIndex: senderIndex, noise: initiator.initiation)
        message.mac1 = HandshakeMAC.mac1(message.bytesBeforeMAC, key: HandshakeMAC.key(for: bobHandshakeKey))
        return message.encoded
    }

    /// Plays alice answering `initiation` (which bob sent her) with `payload`, whatever it is.
    /// Nil if the initiation is not a genuine one for alice.
    public func responseFromAlice(to initiation: [UInt8], payload: [UInt8], senderIndex: UInt32 = 0xa11c_e000) -> [UInt8]? {
        guard let message = try? HandshakeInitiation(parsing: initiation) else { return nil }
        var noise: [UInt8] = []
        do {
            let responder = try IKResponder(staticKey: aliceKey().x25519(), prologue: Self.prologue, initiation: message.noise)
            _ = try responder.respond(ephemeral: Self.x25519Key(seed: 8), payload: payload, message: &noise)
        } catch {
            return nil
        }
        var response = HandshakeResponse(senderIndex: senderIndex, receiverIndex: message.senderIndex, noise: noise)
        response.mac1 = HandshakeMAC.mac1(response.bytesBeforeMAC, key: HandshakeMAC.key(for: bobHandshakeKey))
        return response.encoded
    }

    /// Recomputes mac1 over `datagram` (all but its last 32 bytes, mac1 and mac2) as if for
    /// bob, with mac2 zero: mac1 is keyed by bob's public key, so anyone can make it right;
    /// what lies behind it must still hold.
    public func withBobMAC(_ datagram: [UInt8]) -> [UInt8] {
        guard datagram.count >= 2 * HandshakeMAC.byteCount else { return datagram }
        let body = Array(datagram.dropLast(2 * HandshakeMAC.byteCount))
        return body + HandshakeMAC.mac1(body, key: HandshakeMAC.key(for: bobHandshakeKey))
            + [UInt8](repeating: 0, count: HandshakeMAC.byteCount)
    }

    /// Alice and bob after a complete handshake, bob's keypair confirmed by alice's first
    /// keepalive: both snapshots route to the other and decrypt what the other seals.
    public func establishedPair() -> (alice: SessionManager, bob: SessionManager) {
        let alice = aliceManager()
        let bob = bobManager(knowsAlice: true)
        var actions: [SessionAction] = []
        alice.start(now: now, into: &actions)
        guard let initiation = actions.sends.first?.bytes else { fatalError("fuzz fixture: alice sent no initiation") }
        actions = []
        guard bob.handleHandshake(initiation, from: .direct(aliceEndpoint), now: now, into: &actions) == nil,
              let response = actions.sends.first?.bytes else {
            fatalError("fuzz fixture: bob refused alice's initiation: \(actions)")
        }
        actions = []
        guard alice.handleHandshake(response, from: .direct(bobEndpoint), now: now, into: &actions) == nil,
              actions.establishedCount == 1, let keepalive = actions.sends.first?.bytes else {
            fatalError("fuzz fixture: alice refused bob's response: \(actions)")
        }
        var datagram = keepalive
        var notices = DataPath.Notices()
        let snapshot = bob.snapshot(now: now.instant)
        let verdict = datagram.withUnsafeMutableBytes {
            DataPath.inbound($0, from: aliceEndpoint, snapshot: snapshot, now: now.instant, notices: &notices)
        }
        guard case .keepalive = verdict, let keypair = notices.confirmed else {
            fatalError("fuzz fixture: bob did not accept alice's keepalive: \(verdict)")
        }
        bob.confirmed(keypair)
        return (alice, bob)
    }
}
