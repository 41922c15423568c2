import Logging
import WarrenCrypto
import WarrenDHT
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire
import FoundationEssentials

/// Wiring between the DHT core, the session manager and the packet threads: DHT messages
/// travel as control messages inside sessions, unknown addresses are resolved through the
/// DHT, and this node's record is published and kept fresh.
extension Daemon {
    /// How often the record is published again (records live an hour in stores).
    static let republishInterval: Duration = .seconds(20 * 60)
    static let recordLifetimeSeconds: UInt64 = 3600
    /// A record whose rendezvous nodes changed (a session to one came up or went) is
    /// published again, but not more often than this.
    static let minimumRepublishInterval: Duration = .seconds(5)

    /// Saved contacts are written this often, and at shutdown.
    static let saveInterval: Duration = .seconds(300)

    var tableFile: RoutingTableFile { RoutingTableFile(directory: config.stateDirectory, interface: tun.name) }

    /// Joins through the contacts saved by the last run and the bootstrap nodes, and publishes
    /// this node's record.
    func startDHT(now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        let saved = tableFile.load()
        if !saved.isEmpty { logger.info("rejoining the DHT through saved contacts", metadata: ["count": "\(saved.count)"]) }
        for contact in saved where contact.publicKey != certificate.publicKey {
            node.dht.learned(contact, now: now.instant, into: &dhtActions)
        }
        for bootstrap in config.bootstrap {
            guard let key = KeyText.parsePublicKey(bootstrap.publicKey), key != certificate.publicKey else { continue }
            node.dht.learned(Contact(publicKey: key, endpoint: bootstrap.endpoint), now: now.instant, into: &dhtActions)
        }
        _ = node.dht.findNode(node.dht.own.id, now: now.instant, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
        publishRecord(now: now, into: &actions)
    }

    /// A control message from an authenticated peer.
    func handleControl(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment,
                       into actions: inout [SessionAction]) {
        switch bytes.first {
        case PunchMessage.controlKind: handlePunch(bytes, from: link, path: path, now: now, into: &actions)
        case PathProbe.controlKind: handleProbe(bytes, from: link, path: path, now: now, into: &actions)
        case RelayMessage.controlKind: handleRelay(bytes, from: link, path: path, now: now, into: &actions)
        default: handleDHT(bytes, from: link, path: path, now: now, into: &actions)
        }
    }

    /// A DHT message from an authenticated peer.
    private func handleDHT(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        guard bytes.first == DHTMessage.controlKind, let message = try? DHTMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        // A DHT contact must be reachable at its endpoint by anyone; one heard only through
        // a relay is not, and the relay's address must not be taken for its own.
        guard !path.isRelayed else { return }
        var dhtActions: [DHTAction] = []
        node.dht.handle(message, from: Contact(publicKey: link.publicKey, endpoint: path.endpoint), now: now, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
    }

    /// A packet to an address no peer owns: look its owner up (or wait for the lookup).
    func resolve(_ address: IPv4Address, packet: [UInt8], now: Moment, into actions: inout [SessionAction]) {
        switch node.resolver.miss(address, packet: packet, now: now.instant) {
        case .lookUp(let key):
            var dhtActions: [DHTAction] = []
            let id = node.dht.findValue(key, for: .address, now: now.instant, into: &dhtActions)
            node.resolver.started(address, lookupID: id)
            perform(dhtActions, now: now, into: &actions)
        case .queued:
            break
        case .dropped:
            drops.count(.noRoute)
        }
    }

    func dhtTimers(now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        node.dht.handleTimers(now: now, random: &random, into: &dhtActions)
        perform(dhtActions, now: now, into: &actions)
        for (_, packets) in node.resolver.expire(now: now.instant) { unreachable(packets) }
        if let last = lastPublished, now.instant.since(last) >= Self.republishInterval
            || (now.instant.since(last) >= Self.minimumRepublishInterval && rendezvousNodes(now: now) != publishedRendezvous) {
            publishRecord(now: now, into: &actions)
        }
        if now.instant.since(lastSaved ?? .zero) >= Self.saveInterval {
            saveContacts()
            lastSaved = now.instant
        }
    }

    func dhtStatus() -> DHTStatus {
        let stats = node.dht.statistics
        return DHTStatus(contacts: node.dht.table.count,
                         buckets: Dictionary(uniqueKeysWithValues: node.dht.table.bucketSizes.map { (String($0.key), $0.value) }),
                         records: node.dht.store.count, lookupsStarted: stats.lookupsStarted, lookupsSucceeded: stats.lookupsSucceeded,
                         lookupsQueued: stats.lookupsQueued, lookupsRefused: stats.lookupsRefused,
                         requestsAnswered: stats.requestsAnswered, requestsRateLimited: stats.requestsRateLimited,
                         recordsRefused: stats.recordsRefused)
    }

    func saveContacts() {
        let contacts = node.dht.table.allContacts
        guard !contacts.isEmpty else { return }
        do {
            try tableFile.save(contacts)
        } catch {
            logger.warning("cannot save DHT contacts", metadata: ["reason": "\(error)"])
        }
    }

    /// Signs and stores this node's record under its address key and its node key.
    func publishRecord(now: Moment, into actions: inout [SessionAction]) {
        let endpoints = candidates()
        publishedEndpoints = endpoints
        publishedRendezvous = rendezvousNodes(now: now)
        punches.publish(rendezvous: publishedRendezvous.map(\.publicKey))
        for rendezvous in publishedRendezvous { node.manager.keepAlive(rendezvous.publicKey, every: .seconds(config.natKeepaliveSeconds)) }
        // Sequence numbers must grow across restarts too: the wall clock does that.
        recordSequence = max(recordSequence + 1, now.unixSeconds)
        let record = PeerRecord(signing: recordSigner, certificate: certificate, endpoints: endpoints,
                                rendezvous: publishedRendezvous, sequence: recordSequence,
                                expiresAt: now.unixSeconds + Self.recordLifetimeSeconds)
        publishedRecord = record
        guard case .v4(let address) = certificate.body.ipv4.address else { return }
        var dhtActions: [DHTAction] = []
        node.dht.publish(record, under: RecordKey.address(address), now: now, into: &dhtActions)
        node.dht.publish(record, under: RecordKey.node(node.dht.own.id), now: now, into: &dhtActions)
        lastPublished = now.instant
        perform(dhtActions, now: now, into: &actions)
    }

    /// A peer stopped answering handshakes: looks up its record by its node key, in case it
    /// moved to another underlay address (a restart on another network, a new DHCP lease)
    /// and has not contacted us since.
    func lookUpWhereabouts(of publicKey: Key32, now: Moment, into actions: inout [SessionAction]) {
        guard !whereabouts.values.contains(publicKey) else { return }
        var dhtActions: [DHTAction] = []
        let id = node.dht.findValue(RecordKey.node(NodeID(publicKey: publicKey)), for: .whereabouts, now: now.instant, into: &dhtActions)
        whereabouts[id] = publicKey
        perform(dhtActions, now: now, into: &actions)
    }

    /// Runs a lookup for `warren lookup`, answered when it ends.
    func startLookup(_ address: IPv4Address, for request: ControlRequest, now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        let id = node.dht.findValue(RecordKey.address(address), for: .request, now: now.instant, into: &dhtActions)
        lookupRequests[id] = (address, request)
        perform(dhtActions, now: now, into: &actions)
    }

    func answerLookup(_ result: LookupResult, address: IPv4Address, request: ControlRequest) {
        let record = result.records.first
        let name = record.flatMap { try? UncheckedCertificate(parsing: $0.certificate) }?.body.name
        let report = LookupReport(address: address.description, found: record != nil, name: name,
                                  endpoints: record?.endpoints.map(\.description) ?? [],
                                  rendezvous: record?.rendezvous.map { "\(KeyText.publicKey($0.publicKey))@\($0.endpoint)" } ?? [],
                                  hops: result.hops,
                                  queries: result.queries, milliseconds: Int(result.duration.nanosecondsValue / 1_000_000),
                                  closest: result.closest.prefix(5).map { "\($0.id) \($0.endpoint)" })
        request.respond((try? JSONEncoder.sorted.encode(report)).map(Array.init) ?? Array("{}".utf8))
    }

    /// Sends the handshake to where the peer's newest record says it is now.
    func relocate(_ publicKey: Key32, from result: LookupResult, now: Moment, into actions: inout [SessionAction]) {
        guard let record = result.records.max(by: { $0.sequence < $1.sequence }),
              let certificate = try? UncheckedCertificate(parsing: record.certificate),
              certificate.body.publicKey == publicKey,
              let endpoint = node.manager.relocate(publicKey, endpoints: record.endpoints, now: now, into: &actions) else { return }
        logger.info("peer moved, trying its new endpoint", metadata: ["peer": "\(certificate.body.name)", "endpoint": "\(endpoint)"])
    }

    /// Answers packets whose destination could not be found with ICMP "unreachable", so the
    /// sender learns at once instead of after a timeout.
    func unreachable(_ packets: [[UInt8]]) {
        drops.count(.noRoute, times: UInt64(packets.count))
        for packet in packets {
            guard let reply = ICMPUnreachable.reply(to: packet) else { continue }
            // Room for the virtio header the offloading TUN device expects in front.
            var buffer = [UInt8](repeating: 0, count: VirtioNetHeader.byteCount) + reply
            _ = buffer.withUnsafeMutableBytes {
                try? tun.write(packetIn: $0, offset: VirtioNetHeader.byteCount, length: reply.count)
            }
        }
    }

    /// Turns DHT actions into session actions: messages into control messages, finished
    /// address lookups into peers with routes and the packets that waited for them.
    func perform(_ dhtActions: [DHTAction], now: Moment, into actions: inout [SessionAction]) {
        for action in dhtActions {
            switch action {
            case .send(let message, let contact):
                node.manager.sendControl(message.encoded, to: contact.publicKey, endpoint: contact.endpoint, now: now, into: &actions)
            case .lookupFinished(let result):
                if let (address, request) = lookupRequests.removeValue(forKey: result.id) {
                    answerLookup(result, address: address, request: request)
                    continue
                }
                if let publicKey = whereabouts.removeValue(forKey: result.id) {
                    relocate(publicKey, from: result, now: now, into: &actions)
                    continue
                }
                guard let (address, packets) = node.resolver.finished(lookupID: result.id) else { continue }
                guard let record = result.records.first, let unchecked = try? UncheckedCertificate(parsing: record.certificate),
                      let link = node.manager.introduce(certificate: unchecked, endpoints: record.endpoints, now: now) else {
                    logger.debug("no record found", metadata: ["address": "\(address)", "reason": "lookup found nothing"])
                    unreachable(packets)
                    continue
                }
                logger.debug("found a peer in the DHT", metadata: ["peer": "\(link.name)", "address": "\(address)"])
                requestPunches(towards: record, publicKey: link.publicKey, now: now, into: &actions)
                for packet in packets { node.manager.hold(packet: packet, for: link, now: now, into: &actions) }
            }
        }
    }
}
