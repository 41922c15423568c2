import WarrenCrypto
import WarrenWire

/// WireGuard's cookies (§5.4.7), the responder's half. Under load a handshake message must
/// carry mac2 keyed by a cookie this node gave its sender's address; one without gets a
/// cookie reply instead of any Diffie-Hellman work. So a flood from forged addresses costs a
/// hash and a 64-byte reply each (less than the message itself: no amplification), while a
/// real member, which sees the reply, gets through on its next message.
///
/// A cookie is a MAC of the sender's address and port (and, for a message that came through a
/// relay, the channel) keyed by a secret that changes every two minutes, so a cookie is worth
/// nothing elsewhere or later. Owned by the packet thread's `HandshakeAdmission`.
struct CookieChecker: ~Copyable {
    static let secretLifetime: Duration = .seconds(120)
    static let secretByteCount = 32

    private var secret = SecretBytes(count: CookieChecker.secretByteCount) { _ in }
    private var secretSetAt: Instant?
    /// Cookie replies are encrypted to the key derived from this node's public key.
    private let encryptionKey: [UInt8]

    init(ownHandshakeKey: Key32) {
        encryptionKey = HandshakeMAC.cookieKey(for: ownHandshakeKey)
    }

    /// Whether `mac2` is the MAC of `message` under the cookie `path` holds now.
    mutating func verifies(mac2: [UInt8], over message: [UInt8], from path: Path, now: Instant,
                           random: inout any RandomSource) -> Bool {
        HandshakeMAC.verify(message, mac: mac2, key: cookie(for: path, now: now, random: &random))
    }

    /// The reply to a message from `path` with `mac1` and sender index `senderIndex`.
    mutating func reply(toMAC1 mac1: [UInt8], senderIndex: UInt32, from path: Path, now: Instant,
                        random: inout any RandomSource) -> CookieReply {
        let cookie = cookie(for: path, now: now, random: &random)
        var nonce = [UInt8](repeating: 0, count: CookieReply.nonceByteCount)
        nonce.withUnsafeMutableBytes { random.fill($0) }
        return CookieReply(receiverIndex: senderIndex, nonce: nonce,
                           encryptedCookie: XChaChaPoly.seal(key: encryptionKey, nonce: nonce, aad: mac1, plaintext: cookie))
    }

    private mutating func cookie(for path: Path, now: Instant, random: inout any RandomSource) -> [UInt8] {
        if secretSetAt.map({ now.since($0) >= Self.secretLifetime }) ?? true {
            secret = SecretBytes(count: Self.secretByteCount) { random.fill($0) }
            secretSetAt = now
        }
        var source = path.endpoint.address.bytes
        source += [UInt8(path.endpoint.port >> 8), UInt8(path.endpoint.port & 0xff)]
        source += withUnsafeBytes(of: path.channel.bigEndian) { Array($0) }
        return secret.withUnsafeBytes { Blake2b.hash(source, key: Array($0), outputCount: HandshakeMAC.byteCount) }
    }
}

/// Whether the node is under load: as WireGuard decides it, when the messages from anyone
/// waiting for the control thread reach an eighth of what its queue holds; and also when
/// more than `messagesPerSecond` handshake messages a second pass the per-source gate, which
/// a flood from a few hundred addresses does long before the queue backs up (each that the
/// control thread then reads costs it two X25519 and an Ed25519 check). Either lasts a second
/// after its cause. Only then are cookies demanded; a node at rest answers every valid
/// message.
struct HandshakeLoad {
    /// An eighth of the roughly 700 initiations the queue's 1 MiB lane holds.
    static let backlogThreshold = 96
    /// Far more than a network's rekeys (one a peer every two minutes) and newcomers send.
    static let messagesPerSecond = 200.0
    static let lingering: Duration = .seconds(1)

    private var until: Instant?
    private var messages = TokenBucket(capacity: messagesPerSecond, perSecond: messagesPerSecond, now: .zero)

    /// Called for each message that passed the gate, with the backlog it found.
    mutating func note(backlog: Int, now: Instant) {
        let tooMany = !messages.take(now: now)
        if backlog >= Self.backlogThreshold || tooMany { until = now + Self.lingering }
    }

    func isUnderLoad(at now: Instant) -> Bool {
        until.map { now < $0 } ?? false
    }
}
