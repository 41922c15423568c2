public import WarrenCrypto
public import WarrenWire

/// What the inbound packet thread asks of a handshake message before it copies it for the
/// control thread, cheap checks before dear ones:
///
/// 1. every handshake message, cookie replies too, must pass the per-source `HandshakeGate`
///    (5 at once, 20 a second): a table lookup;
/// 2. an initiation or a response must carry a valid mac1: one keyed hash over the message
///    into a stack buffer, no allocation;
/// 3. under load (`HandshakeLoad`: a backlog for the control thread, or many messages a
///    second past the gate), an initiation or a response must carry a valid mac2; one
///    without is dropped, and answered here with a cookie reply (`CookieChecker`,
///    under_load) at most twice at once and once a second per source (cookie_rationed
///    beyond): a cookie is good for two minutes, so a real initiator needs one reply, and one
///    more if it was lost (it retries after 5 s).
///
/// A flood then costs the packet thread a lookup a datagram, and reaches the control thread
/// only at the gate's rate and only with cookies under load: the rest is never copied, queued
/// or woken for (bench/flood found those copies, and cookie replies at the gate's rate, cost
/// the session a quarter of its throughput). WireGuard checks mac1 first and answers every
/// message under load with a cookie; here the gate comes first, since mac1 proves nothing
/// (anyone who knows a node's public key computes it) and a hash of every flood datagram
/// costs the thread that also decrypts the traffic far more than a lookup (bench/flood:
/// 0.73 → 0.84 of the throughput kept); and a flood gets a reply per second per source, not
/// one per message.
///
/// The session manager checks mac1 again on what it reads, so that it trusts nothing its
/// caller did; at the gate's rate, that hash costs nothing.
public struct HandshakeAdmission: ~Copyable {
    public enum Verdict: Equatable {
        /// Hand the message to the control thread.
        case admit
        /// Send `reply` (framed for the path the message came by) to `endpoint`; the message
        /// itself is dropped as under_load.
        case cookieReply([UInt8], to: Endpoint)
        case drop(DropReason)
    }

    private let macKey: [UInt8]
    private var gate = HandshakeGate()
    private var load = HandshakeLoad()
    private var cookieReplies = KeyedRateLimiter<HandshakeGate.Source>(capacity: 2, perSecond: 1, maxKeys: HandshakeGate.maxSources)
    private var cookies: CookieChecker
    private var random: any RandomSource

    public init(ownHandshakeKey: Key32, random: some RandomSource) {
        macKey = HandshakeMAC.key(for: ownHandshakeKey)
        cookies = CookieChecker(ownHandshakeKey: ownHandshakeKey)
        self.random = random
    }

    /// What to do with `message` (a whole handshake message, as `DataPath.inbound` found it)
    /// from `path`. `backlog` says how many messages from anyone wait for the control thread;
    /// it is asked only of messages that passed the gate.
    public mutating func check(_ message: UnsafeRawBufferPointer, from path: Path, now: Instant,
                               backlog: () -> Int) -> Verdict {
        switch MessageType.classify(message) {
        case .handshakeInitiation:
            guard message.count >= HandshakeInitiation.minByteCount else { return .drop(.malformed) }
        case .handshakeResponse:
            guard message.count >= HandshakeResponse.minByteCount else { return .drop(.malformed) }
        case .cookieReply:
            guard message.count == CookieReply.byteCount else { return .drop(.malformed) }
            return gate.admits(from: path, now: now) ? .admit : .drop(.rateLimited)
        default:
            return .drop(.unknownType)
        }
        guard gate.admits(from: path, now: now) else { return .drop(.rateLimited) }
        guard HandshakeMAC.verifyMAC1(ofMessage: message, key: macKey) else { return .drop(.authenticationFailed) }
        load.note(backlog: backlog(), now: now)
        guard load.isUnderLoad(at: now) else { return .admit }
        return demandCookie(Array(message), from: path, now: now)
    }

    /// Under load: admits a message whose mac2 holds this node's cookie for `path`, and
    /// answers any other with that cookie, as often as `cookieReplies` allows. Both messages end in mac1 and mac2, and carry
    /// their sender index right after the 4-byte header.
    private mutating func demandCookie(_ message: [UInt8], from path: Path, now: Instant) -> Verdict {
        let mac2Start = message.count - HandshakeMAC.byteCount
        if cookies.verifies(mac2: Array(message[mac2Start...]), over: Array(message[..<mac2Start]), from: path, now: now,
                            random: &random) {
            return .admit
        }
        guard cookieReplies.allow(HandshakeGate.Source(path), now: now) else { return .drop(.cookieRationed) }
        let senderIndex = message.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }
        let reply = cookies.reply(toMAC1: Array(message[mac2Start - HandshakeMAC.byteCount..<mac2Start]), senderIndex: senderIndex,
                                  from: path, now: now, random: &random)
        return .cookieReply(path.framing(reply.encoded), to: path.endpoint)
    }
}

extension SessionManager {
    /// The public key initiators address this node by, which keys its mac1 and cookies.
    public var handshakePublicKey: Key32 { handshakeKey.publicKey }
}
