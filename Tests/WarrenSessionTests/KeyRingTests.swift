import Testing
import WarrenCrypto
@testable import WarrenNoise
@testable import WarrenSession
import WarrenWire

/// WireGuard's keypair rotation (`noise.c` add_new_keypair, received_with_keypair), and the
/// retired keypairs Warren keeps for crossing handshakes.
@Suite("key ring")
struct KeyRingTests {
    let link: PeerLink
    let start = Instant(nanoseconds: 1_000_000_000)

    init() {
        let harness = SessionHarness()
        harness.addNode("alice", host: 1)
        link = PeerLink(certificate: harness.nodes[0].certificate, handshakeKey: Key32(bytes: [UInt8](repeating: 7, count: 32))!)
    }

    func keypair(_ index: UInt32, initiator: Bool, at now: Instant? = nil) -> Keypair {
        let keys = TransportKeys(initiatorToResponder: SecretBytes(copying: [UInt8](repeating: 1, count: 32)),
                                 responderToInitiator: SecretBytes(copying: [UInt8](repeating: 2, count: 32)), handshakeHash: [])
        return Keypair(keys: keys, isInitiator: initiator, localIndex: index, remoteIndex: index + 1000, link: link, now: now ?? start)
    }

    @Test("an initiated keypair is current at once; the one it replaces stays previous")
    func initiated() {
        var ring = KeyRing()
        #expect(ring.installInitiated(keypair(1, initiator: true)).isEmpty)
        #expect(ring.sendable(at: start)?.localIndex == 1)
        #expect(ring.installInitiated(keypair(2, initiator: true)).isEmpty)
        #expect(ring.current?.localIndex == 2 && ring.previous?.localIndex == 1)
        // The previous keypair is retired, not freed: late packets on it still decrypt.
        #expect(ring.installInitiated(keypair(3, initiator: true)).isEmpty)
        #expect(ring.all.map(\.localIndex).sorted() == [1, 2, 3])
    }

    @Test("an answered keypair waits as next, sends nothing, and becomes current on the peer's first packet")
    func answered() {
        var ring = KeyRing()
        _ = ring.installInitiated(keypair(1, initiator: true))
        let answer = keypair(2, initiator: false)
        #expect(ring.installAnswered(answer).isEmpty)
        #expect(ring.sendable(at: start)?.localIndex == 1, "a responder may not send before the initiator used the keys")
        #expect(ring.confirm(keypair(9, initiator: false)) == nil, "only the keypair waiting as next is promoted")
        #expect(ring.confirm(answer) == [])
        #expect(ring.current === answer && ring.previous?.localIndex == 1 && ring.next == nil)
        #expect(ring.confirm(answer) == nil, "a second packet promotes nothing more")
    }

    @Test("crossing handshakes: the keypair from our answer stays receivable as previous")
    func crossing() {
        var ring = KeyRing()
        _ = ring.installInitiated(keypair(1, initiator: true))
        _ = ring.installAnswered(keypair(2, initiator: false))
        _ = ring.installInitiated(keypair(3, initiator: true))
        #expect(ring.current?.localIndex == 3 && ring.previous?.localIndex == 2 && ring.next == nil)
        #expect(ring.retired.map(\.localIndex) == [1])
    }

    @Test("retired keypairs are bounded: the oldest index is handed back to be freed")
    func retiredBound() {
        var ring = KeyRing()
        var freed: [UInt32] = []
        for index in UInt32(1)...8 { freed += ring.installInitiated(keypair(index, initiator: true)) }
        #expect(ring.retired.count == KeyRing.maxRetired)
        #expect(freed == [1, 2, 3])
        #expect(Set(ring.all.map(\.localIndex)) == Set(4...8))
        // Two answers crossing: the first stays receivable among the retired.
        _ = ring.installAnswered(keypair(20, initiator: false))
        #expect(ring.installAnswered(keypair(21, initiator: false)) == [4])
        #expect(ring.retired.map(\.localIndex).contains(20))
    }

    @Test("keypairs past their lifetime expire and hand back their indices; removeAll frees the rest")
    func expiry() {
        var ring = KeyRing()
        _ = ring.installInitiated(keypair(1, initiator: true))
        _ = ring.installInitiated(keypair(2, initiator: true, at: start + .seconds(100)))
        #expect(ring.expire(at: start + .seconds(150)).isEmpty)
        #expect(ring.expire(at: start + Timing.rejectAfterTime) == [1])
        #expect(ring.hasSession(at: start + Timing.rejectAfterTime))
        #expect(ring.expire(at: start + .seconds(100) + Timing.rejectAfterTime) == [2])
        #expect(!ring.hasSession(at: start + .seconds(100) + Timing.rejectAfterTime) && ring.all.isEmpty)
        _ = ring.installInitiated(keypair(3, initiator: true))
        _ = ring.installAnswered(keypair(4, initiator: false))
        #expect(ring.removeAll().sorted() == [3, 4] && ring.all.isEmpty)
    }
}
