import WarrenCircuit
import WarrenCrypto
import WarrenDHT
import WarrenPKI
import WarrenSession
import WarrenWire

/// The relay directory in the DHT (`DirectoryShard`): a relay stores its descriptor at the
/// nodes closest to its shard's key, and a node that builds circuits or relays reads every
/// shard from several of the nodes closest to it. What they give joins the union of the
/// relays' lists: a relay that no relay passes on (a withholding source, gossip that has not
/// reached it yet) is still found. A shard's nodes do not count as sources towards
/// `RelayDirectory.isComplete`: each gives part of the list, not all of it.
extension Node {
    /// Nodes a relay's descriptor is stored at, and nodes each shard is read from.
    static let shardReplicas = 8
    static let shardSourcesAsked = 3

    enum ShardLookup: Sendable {
        /// Finding where to store this relay's descriptor.
        case store(RelayDescriptor)
        /// Finding the nodes that keep `shard`, to ask them for it.
        case read(shard: Int)
    }

    func directoryShardTimers(now: Moment, into actions: inout [SessionAction]) {
        // Lookups from a node that has not joined yet would find only its bootstrap nodes.
        guard lastPublished != nil else { return }
        if let own = ownDescriptor, !ownDescriptorStored {
            ownDescriptorStored = true
            findShard(DirectoryShard.of(certificate.publicKey), for: .store(own), now: now, into: &actions)
        }
        if now.instant >= nextShardRead {
            nextShardRead = now.instant + Self.directoryInterval
            readShards(now: now, into: &actions)
        }
    }

    /// Looks up the nodes closest to every shard's key; they are asked once all lookups end,
    /// each once for all the shards it was found for.
    private func readShards(now: Moment, into actions: inout [SessionAction]) {
        shardReaders = [:]
        shardsAsked = [:]
        // What this node keeps for others is as good as what it would be given.
        for descriptor in keptDescriptors.descriptors(inShards: DirectoryShard.all, now: now.unixSeconds) {
            _ = relayDirectory.add(descriptor, authority: authority, now: now.unixSeconds)
        }
        for shard in 0..<DirectoryShard.count {
            findShard(shard, for: .read(shard: shard), now: now, into: &actions)
        }
    }

    private func findShard(_ shard: Int, for lookup: ShardLookup, now: Moment, into actions: inout [SessionAction]) {
        var dhtActions: [DHTAction] = []
        // Noted before its actions are carried out: a lookup refused a slot ends among them.
        shardLookups[dht.findNode(NodeID(raw: DirectoryShard.key(shard)), for: .directory, now: now.instant, into: &dhtActions)] = lookup
        perform(dhtActions, now: now, into: &actions)
    }

    func shardLookupFinished(_ lookup: ShardLookup, _ result: LookupResult, now: Moment, into actions: inout [SessionAction]) {
        switch lookup {
        case .store(let descriptor):
            guard descriptor == ownDescriptor else { return }  // a newer one has its own lookup
            let message = DirectoryMessage.store(descriptor).encoded
            for contact in result.closest.prefix(Self.shardReplicas) {
                manager.sendControl(message, to: contact.publicKey, endpoint: contact.endpoint, now: now, into: &actions)
            }
            log(.debug, "relay descriptor stored in the DHT", [.count: "\(min(result.closest.count, Self.shardReplicas)) nodes"])
        case .read(let shard):
            for contact in result.closest.prefix(Self.shardSourcesAsked) {
                shardReaders[contact.publicKey, default: (contact.endpoint, 0)].shards |= DirectoryShard.bit(shard)
            }
            guard !shardLookups.values.contains(where: { if case .read = $0 { true } else { false } }) else { return }
            for (node, reader) in shardReaders.sorted(by: { $0.key < $1.key }) {
                shardsAsked[node] = reader.shards
                manager.sendControl(DirectoryMessage.shardRequest(shards: reader.shards).encoded, to: node, endpoint: reader.endpoint,
                                    now: now, into: &actions)
            }
            shardReaders = [:]
        }
    }

    /// Whether `node` was asked this round for the shard that keeps `relay`'s descriptor.
    func askedShard(of relay: Key32, from node: Key32) -> Bool {
        (shardsAsked[node] ?? 0) & DirectoryShard.bit(DirectoryShard.of(relay)) != 0
    }

    /// A relay's own descriptor, to keep for its shard. Only the relay it describes may store
    /// it: a member cannot fill this node's store with other relays' old descriptors.
    func keep(_ descriptor: RelayDescriptor, from link: PeerLink, now: Moment) {
        guard (try? UncheckedCertificate(parsing: descriptor.certificate))?.body.publicKey == link.publicKey else {
            drops.count(.unsolicited)
            return
        }
        guard directoryLimits.allow(link.publicKey, now: now.instant) else {
            drops.count(.rateLimited)
            return
        }
        if case .refused(let error) = keptDescriptors.add(descriptor, authority: authority, now: now.unixSeconds) {
            drops.count(.malformed)
            log(.debug, "relay descriptor refused", [.peer: link.name, .reason: "\(error)"])
        }
    }

    /// Answers a shard request with every descriptor kept for those shards.
    func answerShardRequest(_ shards: UInt8, from link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        guard directoryLimits.allow(link.publicKey, now: now.instant) else {
            drops.count(.rateLimited)
            return
        }
        for descriptor in keptDescriptors.descriptors(inShards: shards, now: now.unixSeconds) {
            manager.sendControl(DirectoryMessage.descriptor(descriptor).encoded, to: link.publicKey, endpoint: nil, now: now,
                                into: &actions)
        }
    }
}
