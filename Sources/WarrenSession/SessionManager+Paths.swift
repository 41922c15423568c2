public import WarrenCrypto
import WarrenNAT
public import WarrenWire

/// A peer's paths, as its `PathSelector` chooses them: the manager feeds it what handshakes,
/// relays and probes show, sends the probes it asks for, and republishes routing when
/// packets move.
extension SessionManager {
    /// A relay bound `path` for us towards `publicKey` (`RelayMessage.bound`). If a handshake
    /// is under way, its initiation goes through the relay at once; packets go there until a
    /// direct path is confirmed.
    public func bindRelay(towards publicKey: Key32, through relay: Key32, path: Path, now: Moment,
                          into actions: inout [SessionAction]) {
        guard publicKey != certificate.publicKey, path.isRelayed else { return }
        guard let peer = prospect(for: publicKey, foundBy: .relay, now: now.instant) else { return }
        heard(peer, on: path, now: now.instant)
        peer.paths.boundBy(relay)
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
            guard !path.isRelayed else { return }
            if peer.paths.confirmDirect(from: path.endpoint, now: now.instant) { routingChanged(peer) }
            choosePath(peer, now: now.instant)
        }
    }

    /// The path a peer's handshake message came by becomes its direct endpoint or its relay.
    func heard(_ peer: Peer, on path: Path, now: Instant) {
        if peer.paths.heard(on: path, now: now) { routingChanged(peer) }
    }

    /// Sends `peer`'s packets to `endpoint` from now on (an address a record, a beacon or a
    /// contact named for it).
    func move(_ peer: Peer, to endpoint: Endpoint) {
        if peer.paths.move(to: endpoint) { routingChanged(peer) }
    }

    /// Puts a relayed peer's packets on the relay or the direct path, whichever is due.
    func choosePath(_ peer: Peer, now: Instant) {
        if peer.paths.choose(at: now, lastDirectReceived: peer.lastDirectReceived) { routingChanged(peer) }
    }

    /// While packets flow with a relayed peer, probes go straight to the addresses its
    /// selector names. One sealed probe to every address: the copy that arrives first is
    /// echoed, the others are dropped as replays, so the fastest address wins.
    func probeDirectPaths(_ peer: Peer, link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        choosePath(peer, now: now.instant)
        guard peer.keys.hasSession(at: now.instant),
              now.instant.since(Instant(nanoseconds: link.lastSent.load(ordering: .relaxed))) < PathSelector.directTrust else { return }
        let targets = peer.paths.probeTargets(at: now.instant, lastDirectReceived: peer.lastDirectReceived)
        guard !targets.isEmpty else { return }
        let id: UInt32 = rng.next()
        guard let bytes = sealed(PathProbe(kind: .request, id: id).encoded, for: peer, now: now) else { return }
        for endpoint in targets { transmit(bytes, on: .direct(endpoint), into: &actions) }
    }

    /// Where a peer behind an endpoint-dependent NAT may turn up (`PortPrediction`): probed
    /// with its other addresses while probing is eager, forgotten once a direct path works.
    public func predict(_ guesses: [Endpoint], for publicKey: Key32) {
        peers[publicKey]?.paths.predict(endpointPolicy.admitted(guesses))
    }

    /// Peers with a working session and a relay channel, with the relay that bound it: the
    /// channels to renew.
    public func relayedPeers(now: Instant) -> [(peer: Key32, relay: Key32)] {
        peers.values.compactMap { peer in
            guard let relay = peer.paths.relayNode, peer.paths.relay != nil, peer.keys.hasSession(at: now) else { return nil }
            return (peer.publicKey, relay)
        }
    }

    /// A relayed peer's path, named by the relay's certificate once the relay said it bound
    /// the channel, by its endpoint before.
    func relayedPath(_ peer: Peer) -> PeerPath? {
        guard case .relayed(let relay, let node) = peer.paths.state else { return nil }
        return .relayed(via: node.flatMap { peers[$0]?.link?.name } ?? relay.endpoint.description)
    }
}
