import WarrenCrypto
import WarrenPKI
public import WarrenWire

extension SessionManager {
    /// How often every peer's timers are evaluated (keepalives, rekeys, key expiry, path
    /// probes, pruning): they read activity times the packet threads store, so they are
    /// polled. A handshake's retry is handled when it is due, between sweeps too.
    public static let tick: Duration = .milliseconds(500)

    public func nextDeadline(after now: Instant) -> Instant {
        while let first = retries.min, !isCurrent(first) { retries.removeMin() }
        let deadline = max(nextSweep, now)
        guard let retry = retries.min?.at, retry < deadline else { return deadline }
        return retry
    }

    /// Whether `retry` is when the peer's initiation out is next sent, not one sent or
    /// ended since.
    private func isCurrent(_ retry: HandshakeRetry) -> Bool {
        peers[retry.peer]?.handshake.retryAt == retry.at
    }

    /// Applies WireGuard's timer rules: retransmits or abandons handshakes that are due,
    /// and, once a tick, rekeys, sends keepalives and drops keys past their lifetime for
    /// every peer. Between sweeps only the peers whose retry is due are visited: a node with
    /// thousands of peers wakes for each one's retry, and for its DHT and relay timers.
    public func handleTimers(now: Moment, into actions: inout [SessionAction]) {
        guard now.instant >= nextSweep else {
            while let first = retries.min, first.at <= now.instant {
                retries.removeMin()
                if isCurrent(first), let peer = peers[first.peer] { driveHandshake(peer, now: now, into: &actions) }
            }
            return
        }
        nextSweep = now.instant + Self.tick
        for peer in peers.values {
            expireKeypairs(peer, now: now.instant)
            driveHandshake(peer, now: now, into: &actions)
            guard let link = peer.link else { continue }
            if link.handshakeWanted.exchange(false, ordering: .relaxed), !peer.handshake.isAwaiting {
                initiate(peer, now: now, into: &actions)
            }
            keepAlive(peer, link: link, now: now, into: &actions)
            probeDirectPaths(peer, link: link, now: now, into: &actions)
        }
        pruneIdlePeers(now: now.instant)
    }

    private func expireKeypairs(_ peer: Peer, now: Instant) {
        let freed = peer.keys.expire(at: now)
        if !freed.isEmpty { rekeyed(peer, freeing: freed) }
    }

    private func driveHandshake(_ peer: Peer, now: Moment, into actions: inout [SessionAction]) {
        let neverReached = peer.isStatic && peer.link == nil
        guard let retryAt = peer.handshake.retryAt, let run = peer.handshake.run else {
            if neverReached, peer.paths.current != nil { initiate(peer, now: now, into: &actions) }
            return
        }
        guard now.instant >= retryAt else { return }
        let waited = now.instant.since(run.startedAt)
        // A prospect's key may be invented: looking up its whereabouts would let a member
        // turn each invented contact into a lookup that asks it for more.
        if peer.isProven, !run.askedWhereabouts, waited >= Timing.relocateAfter {
            peer.handshake.noteAskedWhereabouts()
            actions.append(.unanswered(publicKey: peer.publicKey))
        }
        // A static peer never reached is retried for as long as we run: it may start later.
        if waited >= peer.attemptTime, !neverReached {
            giveUp(peer, into: &actions)
        } else {
            initiate(peer, now: now, into: &actions)
        }
    }

    private func giveUp(_ peer: Peer, into actions: inout [SessionAction]) {
        if let pending = peer.handshake.take() { release(pending.localIndex) }
        peer.staged.removeAll()
        peer.lastError = "no handshake response for \(Int(peer.attemptTime.secondsValue)) s"
        // A prospect's key may be invented: its silence is no news for the operator's log.
        guard peer.isProven else { return }
        actions.append(.gaveUp(peer: peer.link?.name ?? KeyText.publicKey(peer.publicKey)))
    }

    private func keepAlive(_ peer: Peer, link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        // The packet threads keep storing times while this runs, so a stored time may be a
        // little later than `now`; `since` counts that as no time at all.
        func age(_ stamp: UInt64) -> Duration { now.instant.since(Instant(nanoseconds: stamp)) }
        let lastSent = link.lastSent.load(ordering: .relaxed)
        let lastDataReceived = link.lastDataReceived.load(ordering: .relaxed)
        let unansweredSince = link.unansweredSince.load(ordering: .relaxed)
        let hasSession = peer.keys.hasSession(at: now.instant)

        // Sent data but heard nothing back for a while: the peer may have restarted or moved.
        if unansweredSince != 0, age(unansweredSince) >= Timing.keepaliveTimeout + Timing.rekeyTimeout,
           !peer.handshake.isAwaiting {
            initiate(peer, now: now, into: &actions)
            return
        }
        var wantKeepalive = false
        // Passive keepalive: the peer sent data and we had nothing to say back.
        if lastDataReceived > lastSent, age(lastDataReceived) >= Timing.keepaliveTimeout { wantKeepalive = true }
        if let interval = peer.persistentKeepalive, age(lastSent) >= interval {
            if !hasSession && !peer.handshake.isAwaiting {
                initiate(peer, now: now, into: &actions)
                return
            }
            wantKeepalive = true
        }
        if wantKeepalive, hasSession, let path = peer.paths.current, let bytes = sealed([], for: peer, now: now) {
            transmit(bytes, on: path, into: &actions)
        }
    }
}
