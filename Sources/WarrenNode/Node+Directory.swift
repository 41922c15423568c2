import WarrenCircuit
import WarrenCrypto
import WarrenPKI
import WarrenSession
import WarrenWire

/// The relay directory (see `DirectoryMessage`). A relay signs a descriptor of itself every
/// hour and when its onion keys rotate, and passes it, and every descriptor new to it, to
/// the relays it has sessions with. A node that builds circuits or relays asks several
/// relays for their lists and keeps the union (`RelayDirectory`): one source alone could
/// steer its circuits by leaving relays out.
extension Node {
    static let descriptorInterval: Duration = .seconds(3600)
    /// How soon a relay that has no endpoint to publish yet tries again.
    static let descriptorRetry: Duration = .seconds(10)
    static let descriptorLifetimeSeconds: UInt64 = 3 * 3600
    /// How often the lists are asked for again once the directory is complete, and how
    /// soon sources are asked afresh while it is not (some did not answer).
    static let directoryInterval: Duration = .seconds(1800)
    static let directoryRetry: Duration = .seconds(10)
    /// Sources asked each round: more than `RelayDirectory.minimumSources`, so one that does
    /// not answer leaves the directory complete. A joining node asks each as soon as its
    /// session is up, not at the next round.
    static let directorySourcesAsked = 5
    /// A relay answers each node's requests for its list at this rate: every answer is a
    /// message per relay listed. The burst lets a node restart a few times in a row (each
    /// start asks afresh) and still get its lists.
    static let directoryRequestsPerSecond = 1.0 / 30
    static let directoryBurst = 20.0
    /// The directory is saved at most this often, when it changed (and when it first becomes
    /// complete).
    static let directorySaveInterval: Duration = .seconds(60)
    static let grownDirectorySaveInterval: Duration = .seconds(1)
    /// How long a node whose directory is complete (three sources gave their lists) still
    /// waits for the other sources it asked before it first draws hops from it: when a
    /// network starts at once, the first three answers may come before a relay still
    /// checking its reachability has published, and a union without that relay is what a
    /// withholding source would give.
    static let directoryPatience: Duration = .seconds(3)
    /// At most this many nodes of each kind a relay keeps for later: those that asked for
    /// the list before it first published, answered then (`listWaiting`); and those given
    /// the list lately, which get descriptors new to this relay as relays do for
    /// `listenWindow` (`listeners`): while a network starts, a list given in its first
    /// second may lack relays still checking their reachability.
    static let maxListFollowers = 256
    static let listenWindow: Duration = .seconds(60)

    var wantsDirectory: Bool { circuitRelay != nil || circuitPool != nil }

    func directoryTimers(now: Moment, into actions: inout [SessionAction]) {
        relayDirectory.expire(now: now.unixSeconds)
        if listeners.contains(where: { now.instant >= $0.value }) { listeners = listeners.filter { now.instant < $0.value } }
        if let relay = circuitRelay, relay.withRelay({ $0.rotateOnionKeys(now: now.unixSeconds) }) || now.instant >= nextDescriptor {
            publishDescriptor(of: relay, now: now, into: &actions)
        }
        directoryShardTimers(now: now, into: &actions)
        if now.instant >= nextDirectoryRequest {
            nextDirectoryRequest = now.instant + (relayDirectory.isComplete ? Self.directoryInterval : Self.directoryRetry)
            directoryAsked = []
            directoryRoundStarted = now.instant
        }
        // Relays listed in the answers are asked too, until five were: a list given while a
        // network starts may lack relays that had not published yet. (Looked for again when
        // the directory changed, not at every timer: a network of five relays or fewer never
        // has five to ask.)
        if directoryAsked.count < Self.directorySourcesAsked, directoryAsked.isEmpty || relayDirectory.version != directoryVersionAsked {
            directoryVersionAsked = relayDirectory.version
            requestDirectory(now: now, into: &actions)
        }
        if !directoryReady, relayDirectory.isComplete,
           directoryAsked.isSubset(of: relayDirectory.sources) || now.instant >= directoryRoundStarted + Self.directoryPatience {
            directoryReady = true
        }
        // Saved at once when it first becomes ready, and within a second when it lists more
        // relays (as while a network starts): a restart soon after must not find only the
        // first sources' lists. Other changes (descriptors renewed hourly) wait a minute.
        let becameReady = directoryReady && !savedDirectoryReady
        let grew = directoryReady && relayDirectory.count > savedDirectoryCount
            && lastDirectorySave.map { now.instant >= $0 + Self.grownDirectorySaveInterval } ?? true
        let due = lastDirectorySave.map { now.instant >= $0 + Self.directorySaveInterval } ?? true
        if relayDirectory.version != savedDirectoryVersion, due || becameReady || grew {
            savedDirectoryVersion = relayDirectory.version
            savedDirectoryReady = directoryReady
            savedDirectoryCount = relayDirectory.count
            lastDirectorySave = now.instant
            effects.append(.saveDirectory(relayDirectory.saved))
        }
    }

    /// Starts from the directory the last run saved, if any of it is still good: circuits
    /// can be built at once, while fresh lists are asked for as at every start.
    func restoreDirectory(now: Moment) {
        guard let saved = settings.circuits.directory else { return }
        relayDirectory.restore(saved, authority: authority, now: now.unixSeconds)
        savedDirectoryVersion = relayDirectory.version
        directoryReady = relayDirectory.isComplete
        savedDirectoryReady = directoryReady
        savedDirectoryCount = relayDirectory.count
        log(.info, "relay directory restored", [.count: "\(relayDirectory.relays(now: now.unixSeconds).count) relays"])
    }

    /// Checks where this relay can be reached (`Node+Reachability`), which publishes its
    /// descriptor when the peers asked have answered.
    func publishDescriptor(of relay: LockedCircuitRelay, now: Moment, into actions: inout [SessionAction]) {
        guard reachability == nil else { return }
        let endpoints = Array(candidates().prefix(RelayDescriptor.maxEndpoints))
        guard !endpoints.isEmpty else {
            nextDescriptor = now.instant + Self.descriptorRetry
            return
        }
        nextDescriptor = now.instant + Self.descriptorInterval
        if !checkReachability(of: endpoints, now: now, into: &actions) {
            nextDescriptor = now.instant + Self.reachabilityRetry
        }
    }

    /// Signs this relay's descriptor listing `endpoints` and gives it to the relays it has
    /// sessions with.
    func publish(_ relay: LockedCircuitRelay, at endpoints: [Endpoint], now: Moment, into actions: inout [SessionAction]) {
        let descriptor = RelayDescriptor(signing: recordSigner, certificate: certificate, onionKeys: relay.withRelay { $0.onionKeys.published },
                                         endpoints: endpoints, publishedAt: now.unixSeconds,
                                         expiresAt: now.unixSeconds + Self.descriptorLifetimeSeconds)
        ownDescriptor = descriptor
        ownDescriptorStored = false
        log(.debug, "relay descriptor published", [.count: "\(connectedRelays(now: now).count) relays told"])
        gossip(descriptor, except: [], now: now, into: &actions)
        for node in listWaiting.sorted() { giveList(to: node, now: now, into: &actions) }
        listWaiting = []
    }

    /// This relay's descriptor and every one it holds, to a node that asked for its list.
    private func giveList(to node: Key32, now: Moment, into actions: inout [SessionAction]) {
        guard let own = ownDescriptor else { return }
        if listeners.count < Self.maxListFollowers || listeners[node] != nil { listeners[node] = now.instant + Self.listenWindow }
        for descriptor in [own] + relayDirectory.descriptors(now: now.unixSeconds) {
            manager.sendControl(DirectoryMessage.descriptor(descriptor).encoded, to: node, endpoint: nil, now: now, into: &actions)
        }
    }

    /// Asks relays not yet asked this round for their lists: those with a session first (the
    /// bootstrap nodes at the start), then listed ones, in a random order so no relay is
    /// everyone's first source. A relay gives its own descriptor with the request: sessions
    /// to other relays may have come up only after it published.
    func requestDirectory(now: Moment, into actions: inout [SessionAction]) {
        var connected = connectedRelays(now: now).filter { !directoryAsked.contains($0) }
        var listed = relayDirectory.relays(now: now.unixSeconds).map(\.node)
            .filter { $0 != certificate.publicKey && !connected.contains($0) && !directoryAsked.contains($0) }
        random.shuffle(&connected)
        random.shuffle(&listed)
        for source in (connected + listed).prefix(Self.directorySourcesAsked - directoryAsked.count) {
            directoryAsked.insert(source)
            let endpoint = relayDirectory.endpoints(of: source).first
            if let own = ownDescriptor {
                manager.sendControl(DirectoryMessage.descriptor(own).encoded, to: source, endpoint: endpoint, now: now, into: &actions)
            }
            manager.sendControl(DirectoryMessage.request.encoded, to: source, endpoint: endpoint, now: now, into: &actions)
        }
    }

    /// A directory message from an authenticated peer.
    func handleDirectory(_ bytes: [UInt8], from link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        guard let message = try? DirectoryMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        switch message {
        case .request:
            // Only a relay keeps a list worth giving.
            guard circuitRelay != nil else { return }
            guard directoryLimits.allow(link.publicKey, now: now.instant) else {
                drops.count(.rateLimited)
                return
            }
            guard ownDescriptor != nil else {
                // Still checking its reachability (a node asks its bootstrap relays as soon
                // as they are up): answered once it has published, not at the next round.
                if listWaiting.count < Self.maxListFollowers { listWaiting.insert(link.publicKey) }
                return
            }
            giveList(to: link.publicKey, now: now, into: &actions)
        case .descriptor(let descriptor):
            // Lists come from relays, and shards from the nodes asked for them: a member
            // cannot fill others' directories, and whatever it gives must still be signed by a
            // relay the CA certified.
            guard wantsDirectory else {
                drops.count(.unsolicited)
                return
            }
            guard let subject = (try? UncheckedCertificate(parsing: descriptor.certificate))?.body.publicKey else {
                drops.count(.malformed)
                return
            }
            // Its own comes back from those it gave it to; it is no hop of its own circuits.
            guard subject != certificate.publicKey else { return }
            let outcome: RelayDirectory.Outcome
            if askedShard(of: subject, from: link.publicKey), !directoryAsked.contains(link.publicKey) {
                outcome = relayDirectory.add(descriptor, authority: authority, now: now.unixSeconds)
            } else if link.certificate.body.roles.contains(.relay) {
                outcome = relayDirectory.add(descriptor, from: link.publicKey, authority: authority, now: now.unixSeconds)
            } else {
                drops.count(.unsolicited)
                return
            }
            switch outcome {
            case .added, .updated:
                if circuitRelay != nil { gossip(descriptor, except: [link.publicKey], now: now, into: &actions) }
            case .refused(let error):
                drops.count(.malformed)
                log(.debug, "relay descriptor refused", [.peer: link.name, .reason: "\(error)"])
            case .unchanged, .full:
                break
            }
        case .store(let descriptor):
            keep(descriptor, from: link, now: now)
        case .shardRequest(let shards):
            answerShardRequest(shards, from: link, now: now, into: &actions)
        case .reachCheck(let endpoints):
            dialBack(endpoints, for: link, now: now, into: &actions)
        case .reached(let endpoints):
            reached(endpoints, from: link, now: now, into: &actions)
        }
    }

    /// The relays this node has a working session with: its sources and gossip partners.
    func connectedRelays(now: Moment) -> [Key32] {
        let candidates = settings.bootstrap.map(\.publicKey) + relayDirectory.relays(now: now.unixSeconds).map(\.node)
        var seen: Set<Key32> = [certificate.publicKey]
        return candidates.filter { seen.insert($0).inserted && manager.isConnected($0, now: now.instant) }
    }

    /// Passes `descriptor` on to the relays with a session, but not back to where it came
    /// from or to the relay it describes.
    /// Nodes that were given the list lately get it too (`listenWindow`).
    private func gossip(_ descriptor: RelayDescriptor, except excluded: Set<Key32>, now: Moment, into actions: inout [SessionAction]) {
        let message = DirectoryMessage.descriptor(descriptor).encoded
        let subject = try? UncheckedCertificate(parsing: descriptor.certificate).body.publicKey
        let listening = listeners.filter { now.instant < $0.value && manager.isConnected($0.key, now: now.instant) }.keys.sorted()
        var seen = excluded
        if let subject { seen.insert(subject) }
        for node in connectedRelays(now: now) + listening where seen.insert(node).inserted {
            manager.sendControl(message, to: node, endpoint: nil, now: now, into: &actions)
        }
    }
}
