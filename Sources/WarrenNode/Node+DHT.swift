import WarrenCrypto
import WarrenDHT
import WarrenPKI
import WarrenSession
import WarrenWire

/// Wiring between the DHT core and the session manager: DHT messages travel as control
/// messages inside sessions, unknown addresses are resolved through the DHT, and contacts
/// are saved for the next start.
extension Node {
    /// Saved contacts are written this often, and at shutdown.
    static let saveInterval: Duration = .seconds(300)

    func startDHT(savedContacts: [Contact], now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        if !savedContacts.isEmpty { log(.info, "rejoining the DHT through saved contacts", [.count: "\(savedContacts.count)"]) }
        for contact in savedContacts + settings.bootstrap where contact.publicKey != certificate.publicKey {
            dht.learned(contact, now: now.instant, into: &dhtActions)
        }
        _ = dht.findNode(dht.own.id, now: now.instant, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
        joinDeadline = now.instant + Self.joinPatience
        recordTimers(now: now, into: &actions)
    }

    /// Every member this node has a direct session with is a DHT contact, so a node that
    /// only ever exchanged data with another still knows it after a restart (contacts are
    /// saved). One met only through a relay is not: the relay's address is not its own.
    func learned(_ contact: Contact, now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        dht.learned(contact, now: now.instant, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
    }

    /// A DHT message from an authenticated peer.
    func handleDHT(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        guard bytes.first == DHTMessage.controlKind, let message = try? DHTMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        // A DHT contact must be reachable at its endpoint by anyone; one heard only through
        // a relay is not, and the relay's address must not be taken for its own.
        guard !path.isRelayed else { return }
        var dhtActions: [DHTAction] = []
        dht.handle(message, from: Contact(publicKey: link.publicKey, endpoint: path.endpoint), now: now, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
    }

    /// A packet to an address no peer owns: look its owner up (or wait for the lookup).
    func resolve(_ address: IPv4Address, packet: [UInt8], now: Moment, into actions: inout [SessionAction]) {
        switch resolver.miss(address, packet: packet, now: now.instant) {
        case .lookUp(let key):
            findValue(key, for: .address, now: now, into: &actions) { resolver.started(address, lookupID: $0) }
        case .queued:
            break
        case .dropped:
            drops.count(.noRoute)
        }
    }

    func dhtTimers(now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        dht.handleTimers(now: now, random: &random, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
        for (_, packets) in resolver.expire(now: now.instant) { unreachable(packets) }
        keptDescriptors.expire(now: now.unixSeconds)
        recordTimers(now: now, into: &actions)
        if now.instant.since(lastSaved) >= Self.saveInterval {
            saveContacts(into: &effects)
            lastSaved = now.instant
        }
    }

    func saveContacts(into actions: inout [NodeAction]) {
        let contacts = dht.table.allContacts
        guard !contacts.isEmpty else { return }
        actions.append(.saveContacts(contacts))
    }

    func dhtStatus() -> DHTStatus {
        let stats = dht.statistics
        return DHTStatus(contacts: dht.table.count,
                         buckets: Dictionary(uniqueKeysWithValues: dht.table.bucketSizes.map { (String($0.key), $0.value) }),
                         records: dht.store.count, lookupsStarted: stats.lookupsStarted, lookupsSucceeded: stats.lookupsSucceeded,
                         lookupsQueued: stats.lookupsQueued, lookupsRefused: stats.lookupsRefused,
                         requestsAnswered: stats.requestsAnswered, requestsRateLimited: stats.requestsRateLimited,
                         recordsRefused: stats.recordsRefused)
    }

    /// A peer stopped answering handshakes: looks up its record by its node key, in case it
    /// moved to another underlay address (a restart on another network, a new DHCP lease)
    /// and has not contacted us since.
    func lookUpWhereabouts(of publicKey: Key32, now: Moment, into actions: inout [SessionAction]) {
        guard !whereabouts.values.contains(publicKey) else { return }
        findValue(RecordKey.node(NodeID(publicKey: publicKey)), for: .whereabouts, now: now, into: &actions) { whereabouts[$0] = publicKey }
    }

    /// Looks up the record at `key`, asking the bootstrap nodes too (a node that just joined
    /// knows few others). `started` notes the lookup's id before its first actions are
    /// carried out: a lookup refused a slot ends among them.
    private func findValue(_ key: NodeID, for reason: LookupReason, now: Moment, into actions: inout [SessionAction],
                           started: (UInt32) -> Void) {
        var dhtActions: [DHTAction] = []
        started(dht.findValue(key, for: reason, alsoAsking: settings.bootstrap, now: now.instant, into: &dhtActions))
        perform(dhtActions, now: now, into: &actions)
    }

    /// Runs a lookup for `warren lookup`, answered when it ends.
    func startLookup(_ address: IPv4Address, for request: RequestID, now: Moment, into actions: inout [SessionAction]) {
        findValue(RecordKey.address(address), for: .request, now: now, into: &actions) { lookupRequests[$0] = (address, request) }
    }

    func lookupReport(_ result: LookupResult, address: IPv4Address) -> LookupReport {
        let record = result.records.first
        let name = record.flatMap { try? UncheckedCertificate(parsing: $0.certificate) }?.body.name
        return LookupReport(address: address.description, found: record != nil, name: name,
                            endpoints: record?.endpoints.map(\.description) ?? [],
                            rendezvous: record?.rendezvous.map { "\(KeyText.publicKey($0.publicKey))@\($0.endpoint)" } ?? [],
                            hops: result.hops,
                            queries: result.queries, milliseconds: Int(result.duration.nanosecondsValue / 1_000_000),
                            closest: result.closest.prefix(5).map { "\($0.id) \($0.endpoint)" })
    }

    /// Sends the handshake to where the peer's newest record says it is now, and asks its
    /// rendezvous nodes to punch and relay: the record it was found by may have named none
    /// (published while it joined), or its NAT may need them.
    func relocate(_ publicKey: Key32, from result: LookupResult, now: Moment, into actions: inout [SessionAction]) {
        guard let record = result.records.max(by: { $0.sequence < $1.sequence }),
              let certificate = try? UncheckedCertificate(parsing: record.certificate),
              certificate.body.publicKey == publicKey else { return }
        if let endpoint = manager.relocate(publicKey, endpoints: record.endpoints, now: now, into: &actions) {
            log(.info, "peer moved, trying its new endpoint", [.peer: certificate.body.name, .endpoint: endpoint.description])
        }
        requestPunches(towards: record, publicKey: publicKey, now: now, into: &actions)
    }

    /// Turns DHT actions into session actions: messages into control messages, finished
    /// lookups into answers, relocations, or peers with routes and the packets that waited.
    func perform(_ dhtActions: [DHTAction], now: Moment, into actions: inout [SessionAction]) {
        for action in dhtActions {
            switch action {
            case .send(let message, let contact):
                manager.sendControl(message.encoded, to: contact.publicKey, endpoint: contact.endpoint, now: now, into: &actions)
            case .lookupFinished(let result):
                if let (address, request) = lookupRequests.removeValue(forKey: result.id) {
                    effects.append(.reply(request, .lookup(lookupReport(result, address: address))))
                } else if let lookup = shardLookups.removeValue(forKey: result.id) {
                    shardLookupFinished(lookup, result, now: now, into: &actions)
                } else if let publicKey = whereabouts.removeValue(forKey: result.id) {
                    relocate(publicKey, from: result, now: now, into: &actions)
                } else if let (address, packets) = resolver.finished(lookupID: result.id) {
                    introduce(address, packets: packets, found: result, now: now, into: &actions)
                }
            }
        }
    }

    /// An address lookup ended: the owner becomes a peer, its rendezvous nodes are asked to
    /// punch and relay, and the packets that waited go to it; or they get ICMP errors.
    private func introduce(_ address: IPv4Address, packets: [[UInt8]], found result: LookupResult, now: Moment,
                           into actions: inout [SessionAction]) {
        guard let record = result.records.first, let unchecked = try? UncheckedCertificate(parsing: record.certificate),
              let link = manager.introduce(certificate: unchecked, endpoints: lanFirst(record.endpoints), now: now) else {
            log(.debug, "no record found", [.address: address.description, .reason: "lookup found nothing"])
            unreachable(packets)
            return
        }
        log(.debug, "found a peer in the DHT", [.peer: link.name, .address: address.description])
        requestPunches(towards: record, publicKey: link.publicKey, now: now, into: &actions)
        for packet in packets { manager.hold(packet: packet, for: link, now: now, into: &actions) }
    }
}
