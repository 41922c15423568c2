import WarrenCrypto
import WarrenWire

/// The initiator's half of WireGuard's cookies (§5.4.7); the responder's half runs in the
/// packet thread (`HandshakeAdmission`).
extension SessionManager {
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
        if isFirst, peer.handshake.isAwaiting { initiate(peer, now: now, into: &actions) }
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
