public import WarrenCrypto
public import WarrenWire

/// A peer's paths: its direct endpoint and, when a relay joined us to it, a relay channel.
/// Packets take the relay until the direct path has shown that it works both ways (an answer
/// that came back directly), and return to the relay when the direct path falls silent, so a
/// session (and a TCP connection inside it) survives every change of path.
extension SessionManager {
    /// A relay bound `path` for us towards `publicKey` (`RelayMessage.bound`). If a handshake
    /// is under way, its initiation goes through the relay at once; packets go there until a
    /// direct path is confirmed.
    public func bindRelay(towards publicKey: Key32, through relay: Key32, path: Path, now: Moment,
                          into actions: inout [SessionAction]) {
        guard publicKey != certificate.publicKey, path.isRelayed else { return }
        guard let peer = prospect(for: publicKey, foundBy: .relay, now: now.instant) else { return }
        heard(peer, on: path, now: now.instant)
        peer.relayNode = relay
        choosePath(peer, now: now.instant)
        guard !peer.keys.hasSession(at: now.instant) else { return }
        if let message = peer.handshake.message {
            transmit(message, on: path, into: &actions)
        } else if !peer.staged.isEmpty {
            initiate(peer, now: now, into: &actions)
        }
    }

    /// A path probe from an authenticated peer, which came by `path`: a request is echoed
    /// on the same path; an echo that came directly confirms the direct path.
    public func handleProbe(_ probe: PathProbe, from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        guard let peer = peers[link.publicKey] else { return }
        switch probe.kind {
        case .request:
            if let bytes = sealed(PathProbe(kind: .reply, id: probe.id).encoded, for: peer, now: now) {
                transmit(bytes, on: path, into: &actions)
            }
        case .reply:
            guard !path.isRelayed, peer.relay != nil else { return }
            if peer.endpoint != path.endpoint {
                peer.endpoint = path.endpoint
                routingChanged()
            }
            peer.directConfirmedAt = now.instant
            peer.predicted = []
            choosePath(peer, now: now.instant)
        }
    }

    /// The path a peer's handshake message came by becomes its direct endpoint or its relay.
    func heard(_ peer: Peer, on path: Path, now: Instant) {
        if path.isRelayed {
            guard peer.relay != path else { return }
            peer.relay = path
            peer.relayBoundAt = now
            peer.lastProbeAt = nil
            routingChanged()
        } else if peer.endpoint != path.endpoint {
            peer.endpoint = path.endpoint
            routingChanged()
        }
    }

    /// Puts a relayed peer's packets on the relay or the direct path, whichever is due.
    func choosePath(_ peer: Peer, now: Instant) {
        let relayed = peer.relay != nil && !peer.trustsDirectPath(at: now)
        guard relayed != peer.usesRelay else { return }
        peer.usesRelay = relayed
        routingChanged()
    }

    /// While packets flow with a relayed peer, probes go straight to its addresses: every
    /// second at first, then every `Timing.directRecheck`; and on a trusted direct path
    /// before its trust runs out, if nothing came that way lately.
    func probeDirectPaths(_ peer: Peer, link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        choosePath(peer, now: now.instant)
        guard peer.relay != nil, peer.keys.hasSession(at: now.instant),
              now.instant.since(Instant(nanoseconds: link.lastSent.load(ordering: .relaxed))) < Timing.directTrust else { return }
        let interval: Duration
        var guesses: [Endpoint] = []
        if peer.usesRelay {
            let eager = now.instant.since(peer.relayBoundAt ?? now.instant) < Timing.eagerProbing
            interval = eager ? Timing.directProbeInterval : Timing.directRecheck
            if eager { guesses = peer.predicted }
        } else {
            let heard = max(peer.directConfirmedAt ?? .zero, Instant(nanoseconds: link.lastDirectReceived.load(ordering: .relaxed)))
            guard now.instant.since(heard) >= Timing.directTrust / 3 else { return }
            interval = Timing.directProbeInterval
        }
        if let last = peer.lastProbeAt, now.instant.since(last) < interval { return }
        peer.lastProbeAt = now.instant
        // One sealed probe to every address: the copy that arrives first is echoed, the
        // others are dropped as replays, so the fastest address wins.
        let id: UInt32 = rng.next()
        guard let bytes = sealed(PathProbe(kind: .request, id: id).encoded, for: peer, now: now) else { return }
        let addresses = peer.directAddresses
        for endpoint in addresses + guesses.filter({ !addresses.contains($0) }) {
            transmit(bytes, on: .direct(endpoint), into: &actions)
        }
    }

    /// Where a peer behind an endpoint-dependent NAT may turn up (`PortPrediction`): probed
    /// with its other addresses while probing is eager, forgotten once a direct path works.
    public func predict(_ guesses: [Endpoint], for publicKey: Key32) {
        peers[publicKey]?.predicted = endpointPolicy.admitted(guesses)
    }

    /// Peers with a working session and a relay channel, with the relay that bound it: the
    /// channels to renew.
    public func relayedPeers(now: Instant) -> [(peer: Key32, relay: Key32)] {
        peers.values.compactMap { peer in
            guard let relay = peer.relayNode, peer.relay != nil, peer.keys.hasSession(at: now) else { return nil }
            return (peer.publicKey, relay)
        }
    }

    /// How `warren status` names a relayed peer's path: "relayed via" the relay's name.
    func relayDescription(_ peer: Peer) -> String? {
        guard peer.usesRelay, let relay = peer.relay else { return nil }
        let node = peers.values.first { !$0.usesRelay && $0.endpoint == relay.endpoint }
        return "relayed via \(node?.link?.name ?? relay.endpoint.description)"
    }
}
