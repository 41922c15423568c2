import WarrenCrypto
import WarrenPKI
import WarrenWire

/// Which peers the control thread keeps, and for how long (security issue 11, finding 4).
///
/// - A *proven* peer is one a certificate vouches for: a static peer of the config, or one
///   whose certificate verified in a handshake or in a signed record. Up to `peerLimit` of them.
/// - A *prospect* is a key this node has a reason to contact but no certificate for yet (a
///   DHT contact it queries, a node a punch notice or a relay names). Members can invent such
///   keys by the thousand, so prospects live in a small `ProspectPool` that evicts the least
///   recently used, try a handshake for `Timing.prospectAttemptTime` only, never start a
///   lookup of their whereabouts, and send initiations only as far as `HandshakeBudget`
///   allows per address. A handshake that proves the certificate makes a prospect a peer.
/// - Any peer without a purpose is removed once idle for `Timing.idlePeerLifetime`: no
///   keypair or handshake, not static, no keepalive (a rendezvous node), not the relay of
///   another peer, and nothing sent, received or wanted for it. Its indices go with it.
extension SessionManager {
    /// Prospects kept at once: enough for several lookups' worth of contacts in flight.
    public static let maxProspects = 128

    /// The peer with `publicKey`, which a certificate just proved (a handshake or a signed
    /// record): a prospect with that key becomes a peer, a new key gets one, up to `peerLimit`
    /// proven peers. The handshake key is the one a handshake authenticated, or else the
    /// X25519 form of the public key.
    func peer(for publicKey: Key32, handshakeKey: Key32? = nil, foundBy: FoundBy) -> Peer? {
        if let existing = peers[publicKey] {
            prospects.remove(publicKey)
            return existing
        }
        guard peers.count - prospects.count < peerLimit, let handshakeKey = handshakeKey ?? Ed25519.x25519PublicKey(from: publicKey) else {
            return nil
        }
        let peer = Peer(publicKey: publicKey, handshakeKey: handshakeKey, isStatic: false,
                        endpoint: nil, persistentKeepalive: nil, foundBy: foundBy)
        peers[publicKey] = peer
        return peer
    }

    /// The peer with `publicKey` if one exists, or else a prospect for it in the pool,
    /// evicting the least recently used one when the pool is full. Using a prospect keeps it.
    func prospect(for publicKey: Key32, foundBy: FoundBy, now: Instant) -> Peer? {
        if let existing = peers[publicKey] {
            if prospects.contains(publicKey) { _ = prospects.use(publicKey) }
            existing.lastWantedAt = now
            return existing
        }
        guard let handshakeKey = Ed25519.x25519PublicKey(from: publicKey) else { return nil }
        if let evicted = prospects.use(publicKey), let peer = peers[evicted] { forget(peer) }
        let peer = Peer(publicKey: publicKey, handshakeKey: handshakeKey, isStatic: false,
                        endpoint: nil, persistentKeepalive: nil, foundBy: foundBy)
        peer.lastWantedAt = now
        peers[publicKey] = peer
        return peer
    }

    /// Removes `peer` and frees the indices its handshake and keypairs held.
    func forget(_ peer: Peer) {
        if let pending = peer.handshake.take() { release(pending.localIndex) }
        for index in peer.keys.removeAll() { release(index) }
        peers[peer.publicKey] = nil
        prospects.remove(peer.publicKey)
        if peer.link != nil { routingChanged(peer) }
    }

    /// Removes the peers that have had no purpose for `Timing.idlePeerLifetime`.
    func pruneIdlePeers(now: Instant) {
        let relays = Set(peers.values.compactMap(\.paths.relayNode))
        for peer in peers.values where !relays.contains(peer.publicKey) && peer.isIdle(at: now) { forget(peer) }
    }

    /// The paths an initiation to `peer` may take now: all of them for a proven peer; for a
    /// prospect, relayed paths (the relay is a proven member) and the direct ones whose
    /// address has `HandshakeBudget` left.
    func affordable(_ paths: [Path], for peer: Peer, now: Instant) -> [Path] {
        guard !peer.isProven else { return paths }
        return paths.filter { $0.isRelayed || handshakeBudget.allows($0.endpoint, now: now) }
    }

    /// How many peers the table holds: proven ones and prospects.
    public func peerCounts() -> (proven: Int, prospects: Int) {
        return (peers.count - prospects.count, prospects.count)
    }
}

extension Peer {
    /// Whether a certificate vouches for this peer: it is in the config, or a certificate
    /// verified for it.
    var isProven: Bool { isStatic || link != nil }

    /// How long a run of handshake attempts lasts before it is abandoned.
    var attemptTime: Duration { isProven ? Timing.rekeyAttemptTime : Timing.prospectAttemptTime }

    /// Whether the peer has had no purpose for `Timing.idlePeerLifetime` (relaying for
    /// another peer is checked by the caller). Packets staged with no handshake under way
    /// (none could be sent, or it was abandoned) wait for nothing and do not count.
    func isIdle(at now: Instant) -> Bool {
        guard !isStatic, keys.all.isEmpty, !handshake.isAwaiting, persistentKeepalive == nil else { return false }
        let traffic = max(link?.lastSent.load(ordering: .relaxed) ?? 0, link?.lastReceived.load(ordering: .relaxed) ?? 0)
        return now.since(max(lastWantedAt, Instant(nanoseconds: traffic))) >= Timing.idlePeerLifetime
    }
}
