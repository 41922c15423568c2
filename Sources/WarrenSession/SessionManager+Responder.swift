import WarrenCrypto
import WarrenNoise
import WarrenPKI
public import WarrenWire

extension SessionManager {
    /// Dispatches a handshake datagram from the packet threads. Returns a drop reason for
    /// messages that are counted but not worth a log line (garbage, wrong mac1, stale index).
    public func handleHandshake(_ datagram: [UInt8], from path: Path, now: Moment,
                                into actions: inout [SessionAction]) -> DropReason? {
        let type = datagram.withUnsafeBytes { MessageType.classify($0) }
        switch type {
        case .handshakeInitiation: return handleInitiation(datagram, from: path, now: now, into: &actions)
        case .handshakeResponse: return handleResponse(datagram, from: path, now: now, into: &actions)
        case .cookieReply: return handleCookieReply(datagram, now: now, into: &actions)
        default: return .unknownType
        }
    }

    /// Answers an initiation from any holder of a valid certificate of our network.
    func handleInitiation(_ datagram: [UInt8], from path: Path, now: Moment,
                          into actions: inout [SessionAction]) -> DropReason? {
        let source = path.endpoint
        guard let message = try? HandshakeInitiation(parsing: datagram) else { return .malformed }
        guard HandshakeMAC.verify(message.bytesBeforeMAC, mac: message.mac1, key: ownMACKey) else {
            return .authenticationFailed
        }
        let responder: IKResponder
        do {
            responder = try IKResponder(staticKey: handshakeKey, prologue: Self.prologue, initiation: message.noise)
        } catch {
            return .authenticationFailed
        }
        let payload: HandshakePayload
        let certificate: Certificate
        do {
            payload = try HandshakePayload(parsing: responder.payload)
        } catch {
            refuse(name: nil, publicKey: nil, endpoint: source, reason: .malformedPayload, now: now, into: &actions)
            return nil
        }
        do throws(CertificateError) {
            let unchecked = try UncheckedCertificate(parsing: payload.certificate)
            do {
                certificate = try verifyPeer(unchecked, handshakeKey: responder.remoteStatic, now: now)
            } catch {
                // Anyone can send a copy of a member's certificate: it names that member only
                // if the handshake proved the sender holds its key and our CA signed it.
                let proven = provenIdentity(unchecked, handshakeKey: responder.remoteStatic)
                refuse(name: proven?.name, publicKey: proven?.publicKey, endpoint: source,
                       reason: .certificate(error), now: now, into: &actions)
                return nil
            }
        } catch {
            refuse(name: nil, publicKey: nil, endpoint: source, reason: .certificate(error), now: now, into: &actions)
            return nil
        }
        guard certificate.publicKey != self.certificate.publicKey else { return .authenticationFailed }
        guard let peer = peer(for: certificate.publicKey, handshakeKey: responder.remoteStatic, foundBy: .handshake) else {
            refuse(name: certificate.name, publicKey: certificate.publicKey, endpoint: source,
                   reason: .peerTableFull(limit: peerLimit), now: now, into: &actions)
            return nil
        }
        // A recorded initiation replayed later carries an old timestamp (WireGuard §5.1).
        guard payload.isNewer(than: peer.newestInitiation) else { return .replayed }
        if let last = peer.lastInitiationAcceptedAt, now.instant.since(last) < Timing.minInitiationInterval {
            return .rateLimited
        }
        peer.newestInitiation = payload
        peer.lastInitiationAcceptedAt = now.instant

        let isRekey = peer.keys.hasSession(at: now.instant)
        let link = adopt(certificate, for: peer)
        let index = allocateIndex(for: peer.publicKey)
        let reply = HandshakePayload(timestampSeconds: 0, timestampNanoseconds: 0, certificate: self.certificate.encoded)
        var noise: [UInt8] = []
        let result: NoiseHandshakeResult
        do {
            result = try responder.respond(ephemeral: X25519PrivateKey(random: &rng), payload: reply.encoded, message: &noise)
        } catch {
            release(index)
            return .authenticationFailed
        }
        var response = HandshakeResponse(senderIndex: index, receiverIndex: message.senderIndex, noise: noise)
        protect(&response, for: peer, now: now.instant)
        let keypair = Keypair(keys: result.takeKeys(), isInitiator: false, localIndex: index, remoteIndex: message.senderIndex,
                              link: link, now: now.instant)
        let freed = peer.keys.installAnswered(keypair)
        heard(peer, on: path, now: now.instant)
        choosePath(peer, now: now.instant)
        peer.lastHandshakeUnix = now.unixSeconds
        peer.lastError = nil
        rekeyed(peer, freeing: freed)
        transmit(response.encoded, on: path, into: &actions)
        actions.append(.established(peer: certificate.name, publicKey: certificate.publicKey, path: path, isRekey: isRekey))
        return nil
    }

    /// A certificate from a handshake: valid under our CA now, bound to the key that
    /// authenticated the handshake, and neither it nor its key blocklisted.
    func verifyPeer(_ unchecked: UncheckedCertificate, handshakeKey: Key32, now: Moment) throws(CertificateError) -> Certificate {
        try blocklist.check(unchecked)
        let certificate = try unchecked.verify(authority: authority, atUnixTime: now.unixSeconds)
        guard let expected = Ed25519.x25519PublicKey(from: certificate.publicKey),
              expected.constantTimeEquals(handshakeKey) else { throw .keyMismatch }
        return certificate
    }

    /// Who a refused certificate names, if the handshake proved its sender holds the
    /// certificate's key and our CA signed it (an expired, blocklisted or out-of-network
    /// member); nil for a copy, a forgery or another network's certificate.
    func provenIdentity(_ unchecked: UncheckedCertificate, handshakeKey: Key32) -> (name: String, publicKey: Key32)? {
        guard let bound = Ed25519.x25519PublicKey(from: unchecked.body.publicKey), bound.constantTimeEquals(handshakeKey),
              unchecked.isSigned(by: authority) else { return nil }
        return (unchecked.body.name, unchecked.body.publicKey)
    }

    /// Makes `certificate` the peer's routing identity. A renewed certificate gets a new link;
    /// existing keypairs keep the old one until they rotate out. A prospect it proves is a
    /// peer from now on and leaves the prospects' pool.
    func adopt(_ certificate: Certificate, for peer: Peer) -> PeerLink {
        if let link = peer.link, link.certificate == certificate { return link }
        let link = PeerLink(certificate: certificate, handshakeKey: peer.handshakeKey)
        peer.link = link
        prospects.remove(peer.publicKey)
        routingChanged(peer)
        return link
    }
}
