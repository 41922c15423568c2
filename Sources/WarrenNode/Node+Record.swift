import WarrenDHT
import WarrenPKI
import WarrenSession
import WarrenWire

/// This node's record in the DHT: where it can be reached (its candidates) and through whom
/// (its rendezvous nodes), signed and stored under its overlay address and its node key.
extension Node {
    /// How often the record is published again (records live an hour in stores).
    static let republishInterval: Duration = .seconds(20 * 60)
    static let recordLifetimeSeconds: UInt64 = 3600
    /// A record whose rendezvous nodes changed (a session to one came up or went) is
    /// published again, but not more often than this.
    static let minimumRepublishInterval: Duration = .seconds(5)
    /// How long a joining node waits for a session to a bootstrap node before it publishes a
    /// record that names no rendezvous node.
    static let joinPatience: Duration = .seconds(10)

    /// Whether the bootstrap nodes (other than this node) could be its rendezvous nodes.
    var hasBootstrap: Bool { !rendezvousPreference.isEmpty }

    func recordTimers(now: Moment, into actions: inout [SessionAction]) {
        guard let last = lastPublished else {
            // Joining: a record without a rendezvous node sends whoever looks it up to
            // addresses behind our NAT with nobody to ask for a punch or a relay, and it would
            // be what they find. Publish it once a bootstrap node is a rendezvous node, or
            // when waiting longer would help nobody.
            if !hasBootstrap || !rendezvousNodes(now: now).isEmpty || now.instant >= joinDeadline {
                publishRecord(now: now, into: &actions)
            }
            return
        }
        let since = now.instant.since(last)
        if since >= Self.republishInterval || (since >= Self.minimumRepublishInterval && rendezvousNodes(now: now) != publishedRendezvous) {
            publishRecord(now: now, into: &actions)
        }
    }

    /// Signs and stores this node's record under its address key and its node key.
    func publishRecord(now: Moment, into actions: inout [SessionAction]) {
        let endpoints = candidates()
        publishedEndpoints = endpoints
        publishedRendezvous = rendezvousNodes(now: now)
        punches.publish(rendezvous: publishedRendezvous.map(\.publicKey))
        for rendezvous in publishedRendezvous { manager.keepAlive(rendezvous.publicKey, every: settings.natKeepalive) }
        // Sequence numbers must grow across restarts too: the wall clock does that.
        recordSequence = max(recordSequence + 1, now.unixSeconds)
        let record = PeerRecord(signing: recordSigner, certificate: certificate, endpoints: endpoints,
                                rendezvous: publishedRendezvous, sequence: recordSequence,
                                expiresAt: now.unixSeconds + Self.recordLifetimeSeconds)
        publishedRecord = record
        guard case .v4(let address) = certificate.body.ipv4.address else { return }
        var dhtActions: [DHTAction] = []
        for key in [RecordKey.address(address), RecordKey.node(dht.own.id)] {
            // At the rendezvous nodes at once: where the first lookups of a node that just
            // joined go, before the k closest are known.
            dht.store(record, under: key, at: publishedRendezvous, now: now.instant, into: &dhtActions)
            dht.publish(record, under: key, now: now, into: &dhtActions)
        }
        lastPublished = now.instant
        perform(dhtActions, now: now, into: &actions)
    }

    /// Bootstrap nodes with a working session: published as rendezvous nodes, they get
    /// keepalives (`publishRecord`) so they can reach us whatever NAT we are behind. Taken
    /// nearest first in the DHT's metric, not in the order listed: when a network lists more
    /// bootstrap nodes than a record names, its members spread over them, where the first
    /// listed would each be held open by every member.
    func rendezvousNodes(now: Moment) -> [Contact] {
        var nodes: [Contact] = []
        for bootstrap in rendezvousPreference {
            guard manager.isConnected(bootstrap.publicKey, now: now.instant) else { continue }
            nodes.append(bootstrap)
            if nodes.count == PeerRecord.maxRendezvous { break }
        }
        return nodes
    }
}
