import WarrenCrypto
import WarrenDHT
import WarrenNAT
import WarrenPKI
import WarrenSession
import WarrenWire

/// Relaying (see `RelayMessage`). As a relay (its certificate has the relay role) this node
/// binds channels between members that each have a session with it, and its inbound packet
/// thread forwards their envelopes. As a member it asks a rendezvous node of a peer it
/// looked up to join it to that peer (one at a time, `RelayRequests`), and keeps asking the
/// one that did while it talks to a relayed peer, so the channels stay bound as a fallback.
extension Node {
    static let relayRequestsPerSecond = 2.0
    static let relayBurst = 10.0
    /// How often a member renews its channels (a relay forgets them after
    /// `RelayTable.idleLifetime` without a request or traffic).
    static let relayRefreshInterval: Duration = .seconds(60)

    public var isRelay: Bool { certificate.body.roles.contains(.relay) }

    /// Asks `relay` (a rendezvous node of `publicKey`'s record) to join us to it.
    func requestRelay(towards publicKey: Key32, via relay: PunchCoordinator.Node, now: Moment, into actions: inout [SessionAction]) {
        let request = RelayMessage(kind: .request, peer: publicKey).encoded
        manager.sendControl(request, to: relay.publicKey, endpoint: relay.endpoint, now: now, into: &actions)
    }

    /// A relay message from an authenticated peer.
    func handleRelay(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        guard let message = try? RelayMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        // Relays are reached directly: a relay behind a relay is no use.
        guard admitsDirect(from: link, path: path, limits: &relayLimits, now: now) else { return }
        switch message.kind {
        case .request:
            bind(link.publicKey, to: message.peer, now: now, into: &actions)
        case .bound(let channel):
            // Only a node the CA made a relay may tell us where to send a peer's packets.
            guard link.certificate.body.roles.contains(.relay) else { return }
            log(.debug, "relay bound", [.towards: KeyText.publicKey(message.peer), .via: link.name, .channel: "\(channel)"])
            relayRequests.bound(towards: message.peer)
            manager.bindRelay(towards: message.peer, through: link.publicKey, path: Path(endpoint: path.endpoint, channel: channel),
                              now: now, into: &actions)
        }
    }

    /// Joins two members that both have a working, direct session with us.
    private func bind(_ requester: Key32, to peer: Key32, now: Moment, into actions: inout [SessionAction]) {
        guard isRelay, requester != peer, peer != certificate.publicKey,
              manager.isConnected(peer, now: now.instant), manager.endpoint(of: peer) != nil,
              manager.endpoint(of: requester) != nil else {
            log(.debug, "relay request not bound", [.from: KeyText.publicKey(requester)])
            return
        }
        guard let channels = relayTable.bind(requester, to: peer, now: now.instant, random: &random) else {
            drops.count(.rateLimited)
            return
        }
        manager.sendControl(RelayMessage(kind: .bound(channel: channels.requester), peer: peer).encoded, to: requester,
                            endpoint: nil, now: now, into: &actions)
        manager.sendControl(RelayMessage(kind: .bound(channel: channels.peer), peer: requester).encoded, to: peer,
                            endpoint: nil, now: now, into: &actions)
    }

    /// Expires idle bindings (as a relay); asks the next relay where one did not answer,
    /// and renews our channels (as a member).
    func relayTimers(now: Moment, into actions: inout [SessionAction]) {
        if relayTable.count > 0 {
            relayTable.expire(now: now.instant) { manager.isConnected($0, now: now.instant) }
        }
        for (peer, relay) in relayRequests.due(now: now.instant) { requestRelay(towards: peer, via: relay, now: now, into: &actions) }
        guard now.instant >= nextRelayRefresh else { return }
        nextRelayRefresh = now.instant + Self.relayRefreshInterval
        for (peer, relay) in manager.relayedPeers(now: now.instant) {
            manager.sendControl(RelayMessage(kind: .request, peer: peer).encoded, to: relay, endpoint: nil, now: now, into: &actions)
        }
    }

    /// Gives the packet threads the bindings with each member's current endpoint, when
    /// either changed. (Called after the routing snapshot is brought up to date.)
    func publishForwarding(into actions: inout [NodeAction]) {
        let versions = (manager.pathsVersion, relayTable.version)
        guard versions != publishedRelayVersions else { return }
        publishedRelayVersions = versions
        actions.append(.publishForwarding(relayTable.forwarding { manager.endpoint(of: $0) }))
    }

    func relayStatus() -> RelayStatus? {
        guard isRelay else { return nil }
        let totals = relayTable.totals
        return RelayStatus(pairs: relayTable.count, packets: totals.packets, bytes: totals.bytes)
    }
}
