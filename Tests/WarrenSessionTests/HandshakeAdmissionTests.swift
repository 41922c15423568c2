import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenSession

/// The inbound packet thread's check before it copies a handshake message for the control
/// thread: the per-source gate for all three kinds, then mac1 for initiations and responses.
@Suite("Handshake admission in the packet thread")
struct HandshakeAdmissionTests {
    let bobKey: Key32
    let now = Instant(nanoseconds: 5_000_000_000)

    init() {
        var rng = SeededRandom(seed: 41)
        bobKey = X25519PrivateKey(random: &rng).publicKey
    }

    func admission() -> HandshakeAdmission { HandshakeAdmission(ownHandshakeKey: bobKey, random: SeededRandom(seed: 42)) }

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

    /// The drop reason, or nil when the message is admitted; the test fails on a cookie reply.
    func check(_ message: [UInt8], from path: Path, at instant: Instant? = nil, in admission: inout HandshakeAdmission) -> DropReason? {
        switch message.withUnsafeBytes({ admission.check($0, from: path, now: instant ?? now, backlog: { 0 }) }) {
        case .admit: return nil
        case .drop(let reason): return reason
        case .cookieReply: Issue.record("a cookie reply at rest"); return nil
        }
    }

    @Test("past a burst of 5, one source's handshakes are dropped; other sources are not")
    func perSourceLimit() {
        var admission = admission()
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

    @Test("a wrong mac1 is dropped after the gate: it counts against its source, and a flood of them costs no hash")
    func wrongMAC1() {
        var admission = admission()
        let source = Path.direct(Endpoint("198.51.100.9:4000")!)
        let reasons = (1...8).map { check(initiation(senderIndex: $0, validMAC: false), from: source, in: &admission) }
        #expect(reasons == Array(repeating: .authenticationFailed, count: 5) + Array(repeating: .rateLimited, count: 3))
        #expect(check(initiation(senderIndex: 21), from: source, at: now + .milliseconds(50), in: &admission) == nil)
    }

    @Test("a response is checked as an initiation is; a cookie reply only against the gate")
    func responsesAndCookieReplies() {
        var admission = admission()
        let source = Path.direct(Endpoint("198.51.100.10:4000")!)
        var response = HandshakeResponse(senderIndex: 1, receiverIndex: 2, noise: [UInt8](repeating: 3, count: 48))
        #expect(check(response.encoded, from: source, in: &admission) == .authenticationFailed)
        response.mac1 = HandshakeMAC.mac1(response.bytesBeforeMAC, key: HandshakeMAC.key(for: bobKey))
        #expect(check(response.encoded, from: source, in: &admission) == nil)
        let reply = CookieReply(receiverIndex: 2, nonce: [UInt8](repeating: 0, count: CookieReply.nonceByteCount),
                                encryptedCookie: [UInt8](repeating: 0, count: CookieReply.encryptedCookieByteCount))
        // The two responses took two of the source's five tokens.
        let verdicts = (1...4).map { _ in check(reply.encoded, from: source, in: &admission) }
        #expect(verdicts == [nil, nil, nil, .rateLimited])
    }

    @Test("too short to hold its fields, or not a handshake at all: malformed or unknown, before any hash")
    func malformed() {
        var admission = admission()
        let source = Path.direct(Endpoint("198.51.100.11:4000")!)
        let whole = initiation(senderIndex: 1)
        #expect(check(Array(whole.prefix(HandshakeInitiation.minByteCount - 1)), from: source, in: &admission) == .malformed)
        #expect(check([2, 0, 0, 0] + [UInt8](repeating: 0, count: 40), from: source, in: &admission) == .malformed)
        #expect(check([3, 0, 0, 0, 1], from: source, in: &admission) == .malformed)
        #expect(check([4, 0, 0, 0] + [UInt8](repeating: 0, count: 40), from: source, in: &admission) == .unknownType)
        #expect(check([], from: source, in: &admission) == .unknownType)
    }

    @Test("under load, a message without mac2 gets a cookie reply on its own path: in an envelope to a relay's channel")
    func cookieReplyUnderLoad() throws {
        var admission = admission()
        let relayed = Path(endpoint: Endpoint("198.51.100.12:51820")!, channel: 0x0102_0304)
        let message = initiation(senderIndex: 0xabcd)
        var backlogAsked = 0
        let verdict = message.withUnsafeBytes {
            admission.check($0, from: relayed, now: now, backlog: { backlogAsked += 1; return HandshakeLoad.backlogThreshold })
        }
        guard case .cookieReply(let framed, let endpoint) = verdict else {
            Issue.record("under load, \(verdict)")
            return
        }
        #expect(endpoint == relayed.endpoint && backlogAsked == 1)
        #expect(framed.withUnsafeBytes { RelayEnvelope.channel($0) } == relayed.channel)
        let reply = try CookieReply(parsing: Array(framed.dropFirst(RelayEnvelope.byteCount)))
        #expect(reply.receiverIndex == 0xabcd)
        // Sealed to the message's mac1, under the key derived from bob's public key.
        let mac1 = Array(message[message.count - 32..<message.count - 16])
        let cookie = try XChaChaPoly.open(key: HandshakeMAC.cookieKey(for: bobKey), nonce: reply.nonce, aad: mac1,
                                          ciphertext: reply.encryptedCookie)
        // The same message with mac2 from that cookie is admitted, still under load, from that
        // path only.
        var withCookie = try HandshakeInitiation(parsing: message)
        withCookie.mac2 = HandshakeMAC.mac2(withCookie.bytesBeforeMAC2, cookie: cookie)
        let underLoad = { HandshakeLoad.backlogThreshold }
        #expect(withCookie.encoded.withUnsafeBytes { admission.check($0, from: relayed, now: now, backlog: underLoad) } == .admit)
        let elsewhere = Path(endpoint: relayed.endpoint, channel: 7)
        guard case .cookieReply = withCookie.encoded.withUnsafeBytes({ admission.check($0, from: elsewhere, now: now, backlog: underLoad) })
        else {
            Issue.record("a cookie for one channel was taken on another")
            return
        }
        // A source gets a second reply at once (the first may have been lost), then one a
        // second; a message the gate stops gets nothing at all.
        func verdicts(_ count: Int, at instant: Instant) -> [String] {
            (0..<count).map { _ in
                switch message.withUnsafeBytes({ admission.check($0, from: relayed, now: instant, backlog: underLoad) }) {
                case .cookieReply: "reply"
                case .drop(let reason): reason.description
                case .admit: "admit"
                }
            }
        }
        #expect(verdicts(4, at: now) == ["reply", "cookie_rationed", "cookie_rationed", "rate_limited"])
        #expect(verdicts(2, at: now + .seconds(1)) == ["reply", "cookie_rationed"])
    }
}
