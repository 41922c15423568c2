public import WarrenCircuit
public import WarrenCrypto
public import WarrenDHT
import WarrenNAT
public import WarrenPKI
public import WarrenSession
public import WarrenWire

/// What a node decides, as a state machine driven by time and input, with no I/O: the
/// daemon hands it events (`handle`) and wakes it at `nextDeadline` (`handleTimeout`), and
/// carries out the `NodeAction`s it returns, in order. It owns the session manager, the DHT,
/// address resolution, punching, relaying, STUN, LAN beacons and the control requests'
/// work; its rules live in the `Node+*.swift` files by concern.
public final class Node {
    public let settings: NodeSettings
    public let manager: SessionManager
    /// A struct with large tables: mutate it in place (`dht.handle(…)`), never through a copy.
    public internal(set) var dht: DHTNode
    public internal(set) var resolver: AddressResolver
    let certificate: Certificate
    let authority: AuthorityCertificate
    /// The key that signs this node's record and its LAN beacons (a second copy of the node
    /// key; the session manager holds the first).
    let recordSigner: SigningKey
    public let drops: DropCounters
    var random: any RandomSource

    /// What the host last said about itself (`NodeEvent`).
    var hostAddresses = HostAddresses()
    var stunServerAddresses: [HostPort: STUNServerAddress] = [:]

    /// Actions besides the session manager's, gathered while an event or a timeout is
    /// handled and returned after the session manager's sends.
    var effects: [NodeAction] = []
    var publishedRoutingVersion: UInt64 = .max

    // Relaying (`Node+Relay`): the channels bound, and rate limits on members' requests.
    var relayTable = RelayTable()
    var publishedRelayVersions: (paths: UInt64, table: UInt64) = (.max, .max)
    var relayLimits = KeyedRateLimiter<Key32>(capacity: Node.relayBurst, perSecond: Node.relayRequestsPerSecond, maxKeys: 1024)
    var nextRelayRefresh: Instant = .zero
    /// Which relay is asked next to join us to a peer (as a member).
    var relayRequests: RelayRequests

    // This node's record (`Node+Record`).
    var recordSequence: UInt64 = 0
    var lastPublished: Instant?
    /// When a joining node publishes its record even if no bootstrap node answered.
    var joinDeadline: Instant
    /// The bootstrap nodes other than this node, those nearest its DHT ID first: its
    /// rendezvous nodes are the first of them it has a session with.
    let rendezvousPreference: [Contact]
    var lastSaved: Instant
    var publishedEndpoints: [Endpoint] = []
    var publishedRendezvous: [Contact] = []
    /// Punch requests carry it, so the peer can check who asks and where to answer.
    var publishedRecord: PeerRecord?

    /// `warren lookup` requests waiting for their lookup, and lookups of the records of
    /// peers that stopped answering (`Node+DHT`).
    var lookupRequests: [UInt32: (address: IPv4Address, request: RequestID)] = [:]
    var whereabouts: [UInt32: Key32] = [:]

    // NAT discovery (`Node+Candidates`, `Node+NetCheck`, `Node+STUN`).
    var stunResponder = STUNResponder()
    var netChecks: [NetCheck] = []
    /// This node's public addresses as STUN answers last showed them.
    var reflexive: [Endpoint] = []
    /// How this node's NAT maps it: whether guessing a symmetric NAT's ports can help.
    var mapping: MappingBehaviour = .unknown
    var candidateProbe: BindingProbe?
    var nextCandidateCheck: Instant

    // Punching (`Node+Punch`).
    var punches: PunchCoordinator
    var punchLimits = KeyedRateLimiter<Key32>(capacity: Node.punchBurst, perSecond: Node.punchesPerSecond, maxKeys: 1024)

    /// `warren ping` runs in progress (`Node+Ping`).
    var pings: [PingRun] = []

    // LAN beacons (`Node+LAN`): which are believed, when the next goes out and how many
    // went, the time stamp of the last (each is signed with a later one), and rate limits
    // per source address.
    var beaconGate: LANBeaconGate
    var nextBeacon: Instant
    var lastBeaconMilliseconds: UInt64 = 0
    var beaconsSent = 0
    var beaconLimits = KeyedRateLimiter<IPAddress>(capacity: Node.beaconBurst, perSecond: Node.beaconsPerSecond, maxKeys: 1024)

    // Circuits (`Node+Circuits`, `Node+Directory`): the relays known, this node's part as a
    // relay (with its signed descriptor) and as a sender.
    public internal(set) var relayDirectory = RelayDirectory()
    /// Shared with the inbound packet thread, which answers creates and carries out extends
    /// itself (`LockedCircuitRelay`).
    var circuitRelay: LockedCircuitRelay?
    /// The pool's `sendingVersion` last published to the packet threads.
    var publishedSendingVersion = -1
    var ownDescriptor: RelayDescriptor?
    var nextDescriptor: Instant = .zero
    /// When the sources are next asked afresh, and those asked this round.
    var nextDirectoryRequest: Instant = .zero
    /// The directory's `version`, readiness and size last saved, and when.
    var savedDirectoryVersion = 0
    var savedDirectoryReady = false
    var savedDirectoryCount = 0
    var lastDirectorySave: Instant?
    var directoryAsked: Set<Key32> = []
    var directoryRoundStarted: Instant = .zero
    /// The directory's `version` when relays to ask were last looked for.
    var directoryVersionAsked = -1
    /// Whether hops may be drawn from the directory (`Node.directoryPatience`); once it is,
    /// it stays so while it is complete.
    var directoryReady = false
    var listWaiting: Set<Key32> = []
    var listeners: [Key32: Instant] = [:]
    var directoryLimits = KeyedRateLimiter<Key32>(capacity: Node.directoryBurst, perSecond: Node.directoryRequestsPerSecond,
                                                  maxKeys: 1024)
    /// The directory in the DHT (`Node+DirectoryShards`): descriptors kept here for others,
    /// whether this relay's own is stored, the lookups under way, and the nodes found and
    /// asked for shards this round.
    var keptDescriptors = RelayDirectory()
    var ownDescriptorStored = false
    var shardLookups: [UInt32: ShardLookup] = [:]
    var nextShardRead: Instant = .zero
    var shardReaders: [Key32: (endpoint: Endpoint, shards: UInt8)] = [:]
    var shardsAsked: [Key32: UInt8] = [:]
    /// This relay's check of its own endpoints (`Node+Reachability`), whether it warned that
    /// none passed, and the checks this node runs for relays.
    var reachability: ReachabilityCheck?
    var unreachableWarned = false
    var dialBacks: [DialBack] = []
    var dialBackLimits = KeyedRateLimiter<Key32>(capacity: Node.dialBackBurst, perSecond: Node.dialBacksPerSecond, maxKeys: 1024)
    var circuitPool: CircuitPool?
    /// The guards as last handed to the host to keep.
    var savedGuards: GuardSet?
    /// Packets for circuit routes that wait for the first circuit.
    var circuitBacklog = CircuitQueues<IPv4Address>()
    /// The flows this node delivers as a circuit's last hop, and which circuit carries the
    /// flows of each sender's token (`CircuitCommand.attach`).
    var anonymousNAT = AnonymousNAT()
    var attachedTokens: [CircuitRelay.Link: UInt128] = [:] {
        didSet { attachVersion &+= 1 }
    }
    var attachVersion = 0
    /// What `CircuitEnds` was last published from: the relay's switch, the translations and
    /// the attached tokens, by version.
    var publishedEndsVersions = (switch: -1, translations: -1, attached: -1)
    var tokenCircuits: [UInt128: CircuitRelay.Link] = [:]

    public init(settings: NodeSettings, manager: SessionManager, recordSigner: consuming SigningKey, authority: AuthorityCertificate,
                drops: DropCounters, random: any RandomSource, now: Instant) {
        self.settings = settings
        self.manager = manager
        manager.configuredContacts = Set(settings.bootstrap.map(\.publicKey))
        certificate = manager.certificate
        self.authority = authority
        self.recordSigner = recordSigner
        self.drops = drops
        var random = random
        dht = DHTNode(own: Contact(publicKey: certificate.publicKey, endpoint: Endpoint(address: .v4(IPv4Address(0)), port: settings.listenPort)),
                      authority: authority, settings: settings.dht, random: &random)
        self.random = random
        let ownID = dht.own.id
        rendezvousPreference = settings.bootstrap.filter { $0.publicKey != manager.certificate.publicKey }
            .sorted { ownID.isNearer($0.id, than: $1.id) }
        resolver = AddressResolver(patience: settings.resolverPatience)
        punches = PunchCoordinator(own: certificate.publicKey, policy: manager.endpointPolicy)
        relayRequests = RelayRequests(own: certificate.publicKey)
        beaconGate = LANBeaconGate(authority: authority, ownKey: certificate.publicKey)
        nextCandidateCheck = now + Self.firstCandidateCheck
        nextBeacon = now
        lastSaved = now
        joinDeadline = now + Self.joinPatience
    }

    /// Joins the DHT through `savedContacts` (the last run's) and the bootstrap nodes, and
    /// publishes this node's record.
    public func start(savedContacts: [Contact], now: Moment, into actions: inout [NodeAction]) {
        var sessionActions: [SessionAction] = []
        manager.start(now: now, into: &sessionActions)
        startDHT(savedContacts: savedContacts, now: now, into: &sessionActions)
        startCircuits(now: now)
        finish(&sessionActions, now: now, into: &actions)
    }

    public func handle(_ event: NodeEvent, now: Moment, into actions: inout [NodeAction]) {
        var sessionActions: [SessionAction] = []
        switch event {
        case .packet(let event): handle(event, now: now, into: &sessionActions)
        case .beacon(let bytes, let arrival): handleBeacon(bytes, arrival: arrival, now: now)
        case .localAddresses(let addresses): hostAddresses = addresses
        case .stunServerAddresses(let addresses): stunServerAddresses = addresses
        case .request(let id, let request): handle(request, id: id, now: now, into: &sessionActions)
        }
        finish(&sessionActions, now: now, into: &actions)
    }

    /// Runs every timer that is due. Some session rules poll what the packet threads record,
    /// so the host calls this at least every `SessionManager.tick`.
    public func handleTimeout(now: Moment, into actions: inout [NodeAction]) {
        var sessionActions: [SessionAction] = []
        manager.handleTimers(now: now, into: &sessionActions)
        dhtTimers(now: now, into: &sessionActions)
        netCheckTimers(now: now, into: &sessionActions)
        candidateTimers(now: now, into: &sessionActions)
        beaconTimers(now: now)
        pingTimers(now: now, into: &sessionActions)
        relayTimers(now: now, into: &sessionActions)
        circuitTimers(now: now, into: &sessionActions)
        reachabilityTimers(now: now, into: &sessionActions)
        finish(&sessionActions, now: now, into: &actions)
    }

    /// What to save at shutdown: the contacts, and the relay directory if it changed since
    /// it was last saved.
    public func stop(into actions: inout [NodeAction]) {
        saveContacts(into: &actions)
        if wantsDirectory, relayDirectory.version != savedDirectoryVersion, relayDirectory.count > 0 {
            savedDirectoryVersion = relayDirectory.version
            actions.append(.saveDirectory(relayDirectory.saved))
        }
    }

    /// When the node next has something to do: the earliest of its timers, and at most
    /// `SessionManager.tick` away (the session rules poll what the packet threads record).
    public func nextDeadline(after now: Instant) -> Instant {
        var deadline = manager.nextDeadline(after: now)
        // Asked after every event: no array of candidates to allocate each time.
        func consider(_ other: Instant?) {
            if let other, other < deadline { deadline = other }
        }
        consider(Self.nextDeadline(of: &dht))
        consider(resolver.nextDeadline())
        consider(lastPublished.map { $0 + Self.republishInterval } ?? joinDeadline)
        consider(lastSaved + Self.saveInterval)
        consider(nextRelayRefresh)
        consider(relayRequests.nextDeadline())
        consider(candidateProbe?.nextDeadline() ?? (settings.advertise.isEmpty ? nextCandidateCheck : nil))
        if settings.lanBeacons { consider(nextBeacon) }
        for check in netChecks { consider(check.probe.nextDeadline()) }
        for ping in pings { consider(ping.deadline) }
        if wantsDirectory { consider(nextDirectoryRequest) }
        if wantsDirectory, !directoryReady, relayDirectory.isComplete { consider(directoryRoundStarted + Self.directoryPatience) }
        if wantsDirectory, lastPublished != nil { consider(nextShardRead) }
        if circuitRelay != nil { consider(nextDescriptor) }
        consider(reachabilityDeadline)
        return deadline
    }

    /// The DHT's next deadline, read through an inout access: a call on the struct through
    /// this class's property retained and released everything in it, after every event.
    /// (Its 728 bytes are still copied for the call; only a class would avoid that.)
    private static func nextDeadline(of dht: inout DHTNode) -> Instant? { dht.nextDeadline() }

    /// Turns the session manager's actions into the node's: the routing and forwarding
    /// snapshots first if they changed, then the sends and log lines, then the node's own
    /// effects. What a session's coming up or going silent means for the DHT (a new contact,
    /// a lookup of the silent peer's record) sends DHT requests: actions of their own,
    /// finished in turn.
    func finish(_ sessionActions: inout [SessionAction], now: Moment, into actions: inout [NodeAction]) {
        while true {
            if manager.routingVersion != publishedRoutingVersion {
                publishedRoutingVersion = manager.routingVersion
                actions.append(.publishRouting(manager.snapshot(now: now.instant)))
            }
            publishForwarding(into: &actions)
            publishCircuitSending(into: &actions)
            publishCircuitEnds(into: &actions)
            var met: [Contact] = []
            var silent: [Key32] = []
            for action in sessionActions {
                switch action {
                case .send(let bytes, let endpoint):
                    actions.append(.send(bytes, to: endpoint))
                case .established(let peer, let publicKey, let path, let isRekey):
                    var fields: [LogField: String] = [.peer: peer, .endpoint: path.endpoint.description]
                    if path.isRelayed { fields[.channel] = "\(path.channel)" }
                    actions.append(.log(isRekey ? LogEvent(.debug, "keys renewed", fields) : LogEvent(.info, "session established", fields)))
                    if !isRekey && !path.isRelayed { met.append(Contact(publicKey: publicKey, endpoint: path.endpoint)) }
                case .refused(let refusal, let notLogged):
                    var fields: [LogField: String] = [.peer: refusal.name ?? refusal.publicKey ?? "unknown",
                                                      .endpoint: refusal.endpoint, .reason: refusal.reason]
                    if notLogged > 0 { fields[.count] = "\(notLogged) refusals since the last line not logged" }
                    actions.append(.log(LogEvent(.warning, "peer refused", fields)))
                case .unanswered(let publicKey):
                    silent.append(publicKey)
                case .gaveUp(let peer):
                    actions.append(.log(LogEvent(.notice, "no handshake response, giving up for now", [.peer: peer])))
                }
            }
            sessionActions.removeAll(keepingCapacity: true)
            for contact in met { learned(contact, now: now, into: &sessionActions) }
            for publicKey in silent {
                lookUpWhereabouts(of: publicKey, now: now, into: &sessionActions)
                circuitPeerLost(publicKey, now: now, into: &sessionActions)
            }
            guard !sessionActions.isEmpty else { break }
        }
        actions.append(contentsOf: effects)
        effects.removeAll(keepingCapacity: true)
    }

    func log(_ level: LogEvent.Level, _ message: String, _ fields: [LogField: String] = [:]) {
        effects.append(.log(LogEvent(level, message, fields)))
    }
}
