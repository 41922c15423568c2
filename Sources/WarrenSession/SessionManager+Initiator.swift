import WarrenCrypto
import WarrenNoise
import WarrenPKI
import WarrenWire

extension SessionManager {
    /// Sends a fresh initiation to `peer` (a new ephemeral key and index each time, so a
    /// retransmission is indistinguishable from a new attempt).
    /// `newRun` starts a new run of attempts, with the whole attempt time ahead of it.
    func initiate(_ peer: Peer, now: Moment, into actions: inout [SessionAction], newRun: Bool = false) {
        let paths = initiationPaths(peer, now: now.instant)
        guard !paths.isEmpty else {
            peer.lastError = "no endpoint known"
            return
        }
        let run = (newRun ? nil : peer.handshake.run) ?? AttemptRun(startedAt: now.instant)
        if let old = peer.handshake.take() { release(old.localIndex) }
        let index = allocateIndex(for: peer.publicKey)
        // Timestamps must grow strictly even if the wall clock stands still or steps back.
        lastTimestampNanoseconds = max(now.unixNanoseconds, lastTimestampNanoseconds + 1)
        let payload = HandshakePayload(timestampSeconds: lastTimestampNanoseconds / 1_000_000_000,
                                       timestampNanoseconds: UInt32(lastTimestampNanoseconds % 1_000_000_000),
                                       certificate: certificate.encoded)
        let initiator: IKInitiator
        do {
            initiator = try IKInitiator(staticKey: handshakeKey, responderStatic: peer.handshakeKey, prologue: Self.prologue,
                                        ephemeral: X25519PrivateKey(random: &rng), payload: payload.encoded)
        } catch {
            release(index)
            peer.lastError = "cannot start handshake: \(error)"
            return
        }
        var message = HandshakeInitiation(senderIndex: index, noise: initiator.initiation)
        protect(&message, for: peer, now: now.instant)
        let jitter = Duration.milliseconds(Int64(rng.next(below: Timing.rekeyTimeoutJitterMilliseconds)))
        let bytes = message.encoded
        let retryAt = now.instant + retryInterval(peer, since: run.startedAt, now: now.instant, jitter: jitter)
        peer.handshake = .awaiting(PendingHandshake(initiator: initiator, localIndex: index, retryAt: retryAt, message: bytes, run: run))
        retries.insert(HandshakeRetry(at: retryAt, peer: peer.publicKey))
        // The same initiation on every path: whichever copy arrives first is answered, the
        // others are refused as replays.
        for path in paths { transmit(bytes, on: path, into: &actions) }
    }

    /// How long an initiation waits for its answer. Until a peer the operator or a signed
    /// certificate vouches for has answered once, the wait starts at
    /// `Timing.firstContactRetry` and doubles: when machines boot together, the peer's socket
    /// may open a moment after our first initiation, and WireGuard's flat `rekeyTimeout`
    /// would cost every cold start 5 s. A prospect (a key a DHT answer named) keeps the flat
    /// wait: whoever invents contacts must not get more initiations out of us.
    private func retryInterval(_ peer: Peer, since started: Instant, now: Instant, jitter: Duration) -> Duration {
        guard peer.lastHandshakeUnix == nil, peer.isProven || configuredContacts.contains(peer.publicKey) else {
            return Timing.rekeyTimeout + jitter
        }
        let waited = now.since(started)
        return min(max(waited, Timing.firstContactRetry), Timing.rekeyTimeout) + jitter / 8
    }

    /// Where an initiation goes: the peer's current path while a session works (a rekey);
    /// otherwise every address it may be at, then its relay. Direct paths first: the copy
    /// that arrives first is answered, and where both work the direct one usually wins.
    private func initiationPaths(_ peer: Peer, now: Instant) -> [Path] {
        if peer.keys.hasSession(at: now), let path = peer.paths.current { return [path] }
        return affordable(peer.paths.directAddresses.map(Path.direct) + [peer.paths.relay].compactMap { $0 }, for: peer, now: now)
    }

    /// Completes a handshake this side started.
    func handleResponse(_ datagram: [UInt8], from path: Path, now: Moment,
                        into actions: inout [SessionAction]) -> DropReason? {
        guard let message = try? HandshakeResponse(parsing: datagram) else { return .malformed }
        guard HandshakeMAC.verify(message.bytesBeforeMAC, mac: message.mac1, key: ownMACKey) else {
            return .authenticationFailed
        }
        guard let key = indices[message.receiverIndex], let peer = peers[key],
              peer.handshake.localIndex == message.receiverIndex else {
            return .unknownIndex
        }
        // The handshake stays pending until a reply authenticates: a forged one (the index
        // and mac1 are no secret) is dropped and the genuine reply still completes it.
        let result: NoiseHandshakeResult
        do {
            guard let read = try peer.handshake.readResponse(message.noise, staticKey: handshakeKey) else { return .unknownIndex }
            result = read
        } catch {
            return .authenticationFailed
        }
        guard let pending = peer.handshake.take() else { return .unknownIndex }
        // The responder addresses this handshake's keypair by the index we offered.
        let index = pending.localIndex
        let certificate: Certificate
        do {
            let payload = try HandshakePayload(parsing: result.payload)
            let unchecked = try UncheckedCertificate(parsing: payload.certificate)
            certificate = try verifyPeer(unchecked, handshakeKey: peer.handshakeKey, now: now)
        } catch let error as CertificateError {
            release(index)
            refuse(name: nil, publicKey: peer.publicKey, endpoint: path.endpoint, reason: .certificate(error), now: now, into: &actions)
            return nil
        } catch {
            release(index)
            refuse(name: nil, publicKey: peer.publicKey, endpoint: path.endpoint, reason: .malformedPayload, now: now, into: &actions)
            return nil
        }
        guard certificate.publicKey == peer.publicKey else {
            release(index)
            refuse(name: certificate.name, publicKey: peer.publicKey, endpoint: path.endpoint,
                   reason: .certificate(.keyMismatch), now: now, into: &actions)
            return nil
        }
        let isRekey = peer.keys.hasSession(at: now.instant)
        let link = adopt(certificate, for: peer)
        let jitter = Duration.milliseconds(Int64(rng.next(below: Timing.rekeyJitterMilliseconds(for: rekeyAfterTime))))
        let keypair = Keypair(keys: result.takeKeys(), isInitiator: true, localIndex: index, remoteIndex: message.senderIndex,
                              link: link, now: now.instant, rekeyAfter: rekeyAfterTime + jitter)
        rekeyed(peer, freeing: peer.keys.installInitiated(keypair))
        // A response is an authenticated packet: it ends the "sent but heard nothing" timer.
        link.heard(now: now.instant)
        heard(peer, on: path, now: now.instant)
        // An answer that came back directly to an initiation that went directly.
        if !path.isRelayed, peer.paths.confirmDirect(from: path.endpoint, now: now.instant) { routingChanged(peer) }
        choosePath(peer, now: now.instant)
        peer.lastHandshakeUnix = now.unixSeconds
        peer.lastError = nil
        actions.append(.established(peer: certificate.name, publicKey: certificate.publicKey, path: path, isRekey: isRekey))
        flushStaged(peer, now: now, into: &actions)
        return nil
    }

    /// Sends the packets held during the handshake, or a keepalive so a responder can
    /// confirm the new keypair at once.
    func flushStaged(_ peer: Peer, now: Moment, into actions: inout [SessionAction]) {
        guard let path = peer.paths.current else { return }
        let packets = peer.staged.isEmpty ? [[]] : peer.staged
        peer.staged.removeAll()
        for packet in packets {
            if let bytes = sealed(packet, for: peer, now: now) { transmit(bytes, on: path, into: &actions) }
        }
    }

    /// Frees the indices a key ring change let go of; routing changes with the keys.
    func rekeyed(_ peer: Peer, freeing indices: [UInt32]) {
        for index in indices { release(index) }
        routingChanged(peer)
    }
}
