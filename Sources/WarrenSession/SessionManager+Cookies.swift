import WarrenCrypto
public import WarrenWire

extension SessionManager {
    /// Tells the manager how many handshake messages the packet threads handed over and the
    /// control thread has yet to read: from an eighth of what the queue holds, and for a
    /// second after, this node is under load and demands cookies (`HandshakeLoad`).
    public func noteHandshakeBacklog(_ count: Int, now: Instant) {
        load.note(backlog: count, now: now)
    }

    /// What a handshake message with a valid mac1 must pass before any public-key work,
    /// under load: a valid mac2 (otherwise a cookie reply goes back on the path it came by,
    /// and the message is dropped as under_load). The per-source gate came first, in the
    /// packet thread (`HandshakeAdmission`), unlike WireGuard's, which answers every message:
    /// one source gets as few cookie replies as handshakes, and a flood costs a hash a message.
    func admit(_ message: some MACProtectedMessage, senderIndex: UInt32, from path: Path, now: Moment,
               into actions: inout [SessionAction]) -> DropReason? {
        if load.isUnderLoad(at: now.instant),
           !cookies.verifies(mac2: message.mac2, over: message.bytesBeforeMAC2, from: path, now: now.instant, random: &rng) {
            let reply = cookies.reply(toMAC1: message.mac1, senderIndex: senderIndex, from: path, now: now.instant, random: &rng)
            transmit(reply.encoded, on: path, into: &actions)
            return .underLoad
        }
        return nil
    }

    /// A cookie reply to a handshake message this node sent: the cookie is kept for two
    /// minutes and goes into mac2 of every handshake message to that peer.
    func handleCookieReply(_ datagram: [UInt8], now: Moment, into actions: inout [SessionAction]) -> DropReason? {
        guard let reply = try? CookieReply(parsing: datagram) else { return .malformed }
        guard let key = indices[reply.receiverIndex], let peer = peers[key], let mac1 = peer.lastSentMAC1 else {
            return .unknownIndex
        }
        // Sealed with our last mac1 as associated data: only an answer to what we sent opens.
        guard let cookie = try? XChaChaPoly.open(key: HandshakeMAC.cookieKey(for: peer.handshakeKey), nonce: reply.nonce,
                                                 aad: mac1, ciphertext: reply.encryptedCookie) else {
            return .authenticationFailed
        }
        let isFirst = peer.validCookie(at: now.instant) == nil
        peer.cookie = ReceivedCookie(bytes: cookie, receivedAt: now.instant)
        // The refused initiation goes again at once, with mac2, rather than after the 5 s
        // retry; only for a first cookie, so that replies cannot make this node loop.
        if isFirst, peer.pending != nil { initiate(peer, now: now, into: &actions) }
        return nil
    }

    /// Sets mac1, keyed by the peer's public key, and mac2, with the cookie the peer gave us
    /// if it is fresh, and remembers mac1: a cookie reply is sealed to it.
    func protect(_ message: inout some MACProtectedMessage, for peer: Peer, now: Instant) {
        message.mac1 = HandshakeMAC.mac1(message.bytesBeforeMAC, key: HandshakeMAC.key(for: peer.handshakeKey))
        if let cookie = peer.validCookie(at: now) { message.mac2 = HandshakeMAC.mac2(message.bytesBeforeMAC2, cookie: cookie) }
        peer.lastSentMAC1 = message.mac1
    }
}

/// A cookie a peer under load gave this node, valid for `lifetime` after it came.
struct ReceivedCookie {
    /// WireGuard's COOKIE_REFRESH_TIME: the responder's secret changes as often.
    static let lifetime: Duration = .seconds(120)

    let bytes: [UInt8]
    let receivedAt: Instant
}

extension Peer {
    func validCookie(at now: Instant) -> [UInt8]? {
        guard let cookie, now.since(cookie.receivedAt) < ReceivedCookie.lifetime else { return nil }
        return cookie.bytes
    }
}
