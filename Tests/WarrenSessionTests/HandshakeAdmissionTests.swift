import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenSession

/// The inbound packet thread's check before it copies a handshake message for the control
/// thread: mac1 for initiations and responses, then the per-source gate for all three kinds.
@Suite("Handshake admission in the packet thread")
struct HandshakeAdmissionTests {
    let bobKey: Key32
    let now = Instant(nanoseconds: 5_000_000_000)

    init() {
        var rng = SeededRandom(seed: 41)
        bobKey = X25519PrivateKey(random: &rng).publicKey
    }

    var admission: HandshakeAdmission { HandshakeAdmission(macKey: HandshakeMAC.key(for: bobKey)) }

    /// An initiation with a valid mac1 for bob (mac1 is keyed by his public key, which anyone
    /// may know) and Noise bytes nobody can decrypt.
    func initiation(senderIndex: UInt32, validMAC: Bool = true) -> [UInt8] {
        var rng = SeededRandom(seed: UInt64(senderIndex))
        var message = HandshakeInitiation(senderIndex: senderIndex,
                                          noise: X25519PrivateKey(random: &rng).publicKey.bytes + [UInt8](repeating: 1, count: 160))
        message.mac1 = HandshakeMAC.mac1(message.bytesBeforeMAC, key: HandshakeMAC.key(for: bobKey))
        if !validMAC { message.mac1[0] ^= 1 }
        return message.encoded
    }

    func check(_ message: [UInt8], from path: Path, at instant: Instant? = nil, in admission: inout HandshakeAdmission) -> DropReason? {
        message.withUnsafeBytes { admission.check($0, from: path, now: instant ?? now) }
    }

    @Test("past a burst of 5, one source's handshakes are dropped; other sources are not")
    func perSourceLimit() {
        var admission = admission
        let flooder = Path.direct(Endpoint("198.51.100.7:40000")!)
        let reasons = (1...8).map { check(initiation(senderIndex: $0), from: flooder, in: &admission) }
        #expect(reasons == Array(repeating: nil, count: 5) + Array(repeating: .rateLimited, count: 3))
        // Another port of the same address, and another host of the same IPv6 /64, share a bucket.
        #expect(check(initiation(senderIndex: 9), from: .direct(Endpoint("198.51.100.7:40001")!), in: &admission) == .rateLimited)
        let six = (1...6).map { Path.direct(Endpoint("[2001:db8:1:2::\($0)]:51820")!) }
        #expect(six.enumerated().map { check(initiation(senderIndex: UInt32(20 + $0)), from: $1, in: &admission) }.last == .rateLimited)
        // A different address, or another relay channel, has its own.
        #expect(check(initiation(senderIndex: 30), from: .direct(Endpoint("198.51.100.8:40000")!), in: &admission) == nil)
        #expect(check(initiation(senderIndex: 31), from: Path(endpoint: Endpoint("198.51.100.7:40000")!, channel: 77),
                      in: &admission) == nil)
        // 20 a second refill it.
        #expect(check(initiation(senderIndex: 32), from: flooder, at: now + .milliseconds(100), in: &admission) == nil)
    }

    @Test("a wrong mac1 is dropped for one hash and takes none of the source's tokens")
    func wrongMAC1() {
        var admission = admission
        let source = Path.direct(Endpoint("198.51.100.9:4000")!)
        for index: UInt32 in 1...20 {
            #expect(check(initiation(senderIndex: index, validMAC: false), from: source, in: &admission) == .authenticationFailed)
        }
        #expect(check(initiation(senderIndex: 21), from: source, in: &admission) == nil)
    }

    @Test("a response is checked as an initiation is; a cookie reply only against the gate")
    func responsesAndCookieReplies() {
        var admission = admission
        let source = Path.direct(Endpoint("198.51.100.10:4000")!)
        var response = HandshakeResponse(senderIndex: 1, receiverIndex: 2, noise: [UInt8](repeating: 3, count: 48))
        #expect(check(response.encoded, from: source, in: &admission) == .authenticationFailed)
        response.mac1 = HandshakeMAC.mac1(response.bytesBeforeMAC, key: HandshakeMAC.key(for: bobKey))
        #expect(check(response.encoded, from: source, in: &admission) == nil)
        let reply = CookieReply(receiverIndex: 2, nonce: [UInt8](repeating: 0, count: CookieReply.nonceByteCount),
                                encryptedCookie: [UInt8](repeating: 0, count: CookieReply.encryptedCookieByteCount))
        let verdicts = (1...5).map { _ in check(reply.encoded, from: source, in: &admission) }
        #expect(verdicts == [nil, nil, nil, nil, .rateLimited])
    }

    @Test("too short to hold its fields, or not a handshake at all: malformed or unknown, before any hash")
    func malformed() {
        var admission = admission
        let source = Path.direct(Endpoint("198.51.100.11:4000")!)
        let whole = initiation(senderIndex: 1)
        #expect(check(Array(whole.prefix(HandshakeInitiation.minByteCount - 1)), from: source, in: &admission) == .malformed)
        #expect(check([2, 0, 0, 0] + [UInt8](repeating: 0, count: 40), from: source, in: &admission) == .malformed)
        #expect(check([3, 0, 0, 0, 1], from: source, in: &admission) == .malformed)
        #expect(check([4, 0, 0, 0] + [UInt8](repeating: 0, count: 40), from: source, in: &admission) == .unknownType)
        #expect(check([], from: source, in: &admission) == .unknownType)
    }
}
