public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

extension SessionManager {
    /// Addresses per peer that initiations go to at once (a DHT record holds at most 8).
    public static let maxCandidates = 8

    /// Makes a node known from a signed record found in the DHT: its certificate (checked
    /// here against our CA and blocklist, as a handshake would) gives the route, and the
    /// record's endpoints are where handshakes go until one answers. Returns the peer's link,
    /// to hold packets for it, or nil if the certificate is not acceptable. Endpoints the
    /// `endpointPolicy` refuses are left out.
    public func introduce(certificate unchecked: UncheckedCertificate, endpoints: [Endpoint], now: Moment) -> PeerLink? {
        let endpoints = endpointPolicy.admitted(endpoints)
        guard let (peer, certificate) = verifiedPeer(unchecked, foundBy: .record, now: now) else { return nil }
        // A session that works keeps its endpoint; a record may be older than what we saw.
        if peer.keys.current == nil || peer.paths.endpoint == nil, let endpoint = endpoints.first { move(peer, to: endpoint) }
        peer.paths.candidates = Array(endpoints.prefix(Self.maxCandidates))
        if !peer.isStatic, !peer.keys.hasSession(at: now.instant) { peer.foundBy = .record }
        return adopt(certificate, for: peer)
    }

    /// The peer a certificate names, created if new, once the certificate checks out against
    /// our CA and blocklist as a handshake's would; nil for a refused one or our own. Being
    /// named by a record or a beacon is a use: the idle-peer pruning leaves it alone for now.
    private func verifiedPeer(_ unchecked: UncheckedCertificate, foundBy: FoundBy, now: Moment) -> (Peer, Certificate)? {
        guard let handshakeKey = Ed25519.x25519PublicKey(from: unchecked.body.publicKey),
              let certificate = try? verifyPeer(unchecked, handshakeKey: handshakeKey, now: now),
              certificate.publicKey != self.certificate.publicKey,
              let peer = peer(for: certificate.publicKey, handshakeKey: handshakeKey, foundBy: foundBy) else { return nil }
        peer.lastWantedAt = now.instant
        return (peer, certificate)
    }

    /// A peer's endpoints as its newest record lists them, after handshakes to where we
    /// thought it was went unanswered (`SessionAction.unanswered`). If the record does not
    /// list that endpoint, the peer moved: the handshake goes to the record's first endpoint
    /// at once, with the full attempt time ahead of it. Returns the new endpoint, if it moved.
    @discardableResult
    public func relocate(_ publicKey: Key32, endpoints: [Endpoint], now: Moment, into actions: inout [SessionAction]) -> Endpoint? {
        let endpoints = endpointPolicy.admitted(endpoints)
        guard let peer = peers[publicKey], let endpoint = endpoints.first,
              peer.paths.endpoint.map({ !endpoints.contains($0) }) ?? true else { return nil }
        move(peer, to: endpoint)
        peer.paths.candidates = Array(endpoints.prefix(Self.maxCandidates))
        if peer.handshake.isAwaiting || !peer.staged.isEmpty { initiate(peer, now: now, into: &actions, newRun: true) }
        return endpoint
    }

    /// A member announced itself on one of our LANs at `endpoint` (its beacon believed:
    /// `LANBeaconGate`): the LAN address becomes its first candidate, so the next handshake
    /// tries it too, and it is the endpoint only of a peer that had none. A beacon replaces
    /// nothing: not a configured endpoint, nor one a handshake or an authenticated packet
    /// proved; the handshake's answer decides where the peer is (security issue #11, finding
    /// 6). A working session keeps its endpoint until a probe to the LAN address is
    /// answered inside it (`PathSelector`). Nil when the certificate is refused.
    @discardableResult
    public func seenOnLAN(certificate unchecked: UncheckedCertificate, at endpoint: Endpoint, now: Moment) -> PeerLink? {
        guard endpointPolicy.admits(endpoint) else { return nil }
        if let known = peers[unchecked.body.publicKey], known.keys.hasSession(at: now.instant) {
            known.paths.heardOnLAN(at: endpoint, now: now.instant)
            return known.link
        }
        guard let (peer, certificate) = verifiedPeer(unchecked, foundBy: .lan, now: now) else { return nil }
        peer.paths.heardOnLAN(at: endpoint, now: now.instant)
        peer.paths.candidates = Array(([endpoint] + peer.paths.candidates.filter { $0 != endpoint }).prefix(Self.maxCandidates))
        if peer.paths.endpoint == nil {
            move(peer, to: endpoint)
            if !peer.isStatic { peer.foundBy = .lan }
        }
        return adopt(certificate, for: peer)
    }

    /// A rendezvous node says `publicKey` wants to reach us at `candidates`: handshakes go to
    /// all of them now, so our NAT opens for the initiations coming the other way (and ours
    /// get through where the other NAT already opened for us). Nothing happens if a session
    /// works. The handshake still has to show a valid certificate, as always.
    public func punch(towards publicKey: Key32, candidates: [Endpoint], now: Moment, into actions: inout [SessionAction]) {
        let candidates = endpointPolicy.admitted(candidates)
        guard publicKey != certificate.publicKey, let first = candidates.first else { return }
        guard let peer = prospect(for: publicKey, foundBy: .punch, now: now.instant),
              !peer.keys.hasSession(at: now.instant) else { return }
        // New candidates first; those already known (from its record, say) still count.
        peer.paths.candidates = Array((candidates + peer.paths.candidates.filter { !candidates.contains($0) }).prefix(Self.maxCandidates))
        // The endpoint stays: it may be where the peer's own handshake just came from, and
        // the initiation goes to every candidate anyway.
        if peer.paths.endpoint == nil { move(peer, to: first) }
        // A handshake in flight goes to the new candidates as it is: a fresh initiation would
        // turn the answer to the first one into unknown_index, and the peer would refuse the
        // second as too soon after the first.
        guard let message = peer.handshake.message else {
            initiate(peer, now: now, into: &actions)
            return
        }
        for path in affordable(candidates.map(Path.direct), for: peer, now: now.instant) { transmit(message, on: path, into: &actions) }
    }

    /// Where packets to `publicKey` go, if they go there directly: the source of its last
    /// authenticated packet. Nil for a peer reached through a relay.
    public func endpoint(of publicKey: Key32) -> Endpoint? {
        guard let peer = peers[publicKey], !peer.paths.usesRelay else { return nil }
        return peer.paths.endpoint
    }

    /// Whether a session with `publicKey` can carry packets now.
    public func isConnected(_ publicKey: Key32, now: Instant) -> Bool {
        peers[publicKey]?.keys.hasSession(at: now) == true
    }

    /// Keeps the NAT mapping towards a peer open with a keepalive every `interval` (a
    /// rendezvous node must be able to reach us), or stops when nil. Static peers keep theirs.
    public func keepAlive(_ publicKey: Key32, every interval: Duration?) {
        guard let peer = peers[publicKey], !peer.isStatic else { return }
        peer.persistentKeepalive = interval
    }
}
