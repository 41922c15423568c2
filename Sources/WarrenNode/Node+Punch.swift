import WarrenCrypto
import WarrenDHT
import WarrenNAT
import WarrenPKI
import WarrenSession
import WarrenWire

/// Hole punching through rendezvous nodes (see `PunchMessage`): this node names the
/// bootstrap nodes it keeps sessions with in its record; a node that wants to reach it asks
/// one of them to pass on a notice, and both sides send handshakes to each other at once.
extension Node {
    /// Punch messages a peer may make this node act on: per second, and in a burst.
    static let punchesPerSecond = 2.0
    static let punchBurst = 10.0

    /// About to reach a node found in the DHT: ask its rendezvous nodes to tell it, so that
    /// its NAT opens for us while ours opens for it, and one of them at a time to join us if
    /// it is a relay (`RelayRequests`), so the first packets get through at once whatever
    /// the NATs do.
    func requestPunches(towards record: PeerRecord, publicKey: Key32, now: Moment, into actions: inout [SessionAction]) {
        guard !manager.isConnected(publicKey, now: now.instant), let own = publishedRecord else { return }
        let request = PunchMessage(kind: .request, peer: publicKey, record: own.encoded).encoded
        let nodes = record.rendezvous.map { PunchCoordinator.Node(publicKey: $0.publicKey, endpoint: $0.endpoint) }
        let asked = punches.request(towards: publicKey, endpoints: record.endpoints, via: nodes, now: now.instant)
        for rendezvous in asked {
            manager.sendControl(request, to: rendezvous.publicKey, endpoint: rendezvous.endpoint, now: now, into: &actions)
        }
        if let relay = relayRequests.start(towards: publicKey, relays: asked, now: now.instant) {
            requestRelay(towards: publicKey, via: relay, now: now, into: &actions)
        }
    }

    /// `endpoints` with those on this host's own networks first. Two members behind one NAT
    /// that hairpins can also meet at its public address, but the LAN is the shorter way,
    /// and the address an initiation goes to first is usually where the session lands.
    func lanFirst(_ endpoints: [Endpoint]) -> [Endpoint] {
        let onLAN = endpoints.filter { endpoint in hostAddresses.networks.contains { $0.contains(endpoint.address) } }
        return onLAN + endpoints.filter { !onLAN.contains($0) }
    }

    /// A punch message from an authenticated peer.
    func handlePunch(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        guard let message = try? PunchMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        // Punching is coordinated over direct sessions: through a relay, the source seen
        // here would be the relay's.
        guard admitsDirect(from: link, path: path, limits: &punchLimits, now: now) else { return }
        switch message.kind {
        case .request:
            passOn(message, from: link, seenAt: path.endpoint, now: now, into: &actions)
        case .notice:
            do {
                let punch = try punches.admit(message, from: link.publicKey, now: now.instant, verifyRecord: { verifiedRecord($0, now: now) })
                log(.debug, "punching", [.towards: KeyText.publicKey(punch.peer), .via: link.name])
                manager.punch(towards: punch.peer, candidates: lanFirst(punch.candidates), now: now, into: &actions)
                // Where the rendezvous node sees the peer: if a symmetric NAT keeps the peer
                // from being met there, its next ports are worth a try.
                if let seen = punch.seen {
                    manager.predict(PortPrediction.guesses(after: seen, ownMapping: mapping), for: punch.peer)
                }
            } catch {
                drops.count(.unsolicited)
                log(.debug, "punch notice ignored", [.from: link.name, .reason: "\(error)"])
            }
        }
    }

    /// As a rendezvous node: a member asks us to tell `message.peer` that it wants to reach
    /// it. Passed on only over a session that already exists: a rendezvous node never starts
    /// one to whoever a member names.
    private func passOn(_ message: PunchMessage, from link: PeerLink, seenAt source: Endpoint, now: Moment,
                        into actions: inout [SessionAction]) {
        guard message.peer != certificate.publicKey, manager.isConnected(message.peer, now: now.instant),
              let target = manager.endpoint(of: message.peer) else {
            log(.debug, "punch request for a peer without a direct session", [.from: link.name])
            return
        }
        log(.debug, "passing on a punch request", [.from: link.name, .to: KeyText.publicKey(message.peer)])
        // Where the requester's packets come from is its best candidate: its NAT's mapping.
        let notice = PunchMessage(kind: .notice, peer: link.publicKey, seen: source, record: message.record)
        manager.sendControl(notice.encoded, to: message.peer, endpoint: nil, now: now, into: &actions)
        // And back: where the target's packets come from, as seen here. Behind a symmetric
        // NAT its record lists no public address, but its NAT's address opens the
        // requester's address-restricted NAT for it.
        let back = PunchMessage(kind: .notice, peer: message.peer, seen: target)
        manager.sendControl(back.encoded, to: link.publicKey, endpoint: nil, now: now, into: &actions)
    }

    /// A record a punch request carried, checked as the DHT checks records it stores: whose
    /// it is and where it says that node is, or nil.
    private func verifiedRecord(_ bytes: [UInt8], now: Moment) -> (publicKey: Key32, endpoints: [Endpoint])? {
        guard let record = try? PeerRecord(parsing: bytes),
              let claimed = try? UncheckedCertificate(parsing: record.certificate),
              let certificate = try? dht.store.validate(record, under: RecordKey.node(NodeID(publicKey: claimed.body.publicKey)),
                                                        now: now.unixSeconds) else { return nil }
        return (certificate.publicKey, record.endpoints)
    }
}
