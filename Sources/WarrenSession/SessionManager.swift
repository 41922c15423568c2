public import WarrenCrypto
import HeapModule
import WarrenNoise
public import WarrenPKI
public import WarrenWire

/// Owns every peer's handshake and keypair state: answers and starts Noise IK handshakes,
/// verifies certificates, rotates keys on WireGuard's timers and builds the routing snapshot
/// the packet threads use.
///
/// Sans-I/O: it is driven by the control thread with datagrams, packets to hold, and the time
/// (`Moment`), and answers with `SessionAction`s appended to the caller's array. It never
/// touches a socket or a clock. Call `handleTimers` at `nextDeadline()` (or sooner).
public final class SessionManager {
    /// Mixed into every handshake (Noise prologue): public so test and bench tools that build
    /// initiations of their own stay in step with it.
    public static let prologue = Array("warren v1".utf8)
    /// Proven peers kept at once (see `SessionManager+PeerTable`) unless the config sets
    /// another limit. A member talks to a few hundred peers at most; a relay is usually a
    /// bootstrap node too, the rendezvous node of every member that lists it, so it needs a
    /// session with each of them.
    public static func defaultPeerLimit(for roles: Roles) -> Int { roles.contains(.relay) ? 65_536 : 4_096 }
    static let maxRefusals = 32
    /// Log lines for refusals: a burst of 10, then one a minute. Each source and cause gets
    /// one line at most anyway, but a flood from many sources must not flood the journal.
    static let refusalLinesBurst = 10.0
    static let refusalLinesPerSecond = 1.0 / 60

    let signingKey: SigningKey
    let handshakeKey: X25519PrivateKey
    public let certificate: Certificate
    public let authority: AuthorityCertificate
    let blocklist: Blocklist
    /// How many proven peers this node keeps; a new member's handshake past it is refused.
    public let peerLimit: Int
    /// Where messages may point this node (records, notices, beacons): never at this host,
    /// a link-local or multicast address, or the overlay.
    public let endpointPolicy: EndpointPolicy
    let ownMACKey: [UInt8]
    var rng: any RandomSource

    /// Proven peers and prospects; `prospects` names the latter.
    var peers: [Key32: Peer] = [:]
    var prospects = ProspectPool(capacity: maxProspects)
    var handshakeBudget = HandshakeBudget()
    /// Local index → the peer whose pending handshake or keypair uses it.
    var indices: [UInt32: Key32] = [:]
    /// Refusals with their typed reasons, oldest first (`refuse`).
    var refusals: [(reason: RefusalReason, refusal: Refusal)] = []
    var refusalLines = TokenBucket(capacity: refusalLinesBurst, perSecond: refusalLinesPerSecond, now: Instant(nanoseconds: 0))
    /// Refusals since the last one that got a log line.
    var unloggedRefusals = 0
    /// When every peer's timers are next evaluated (`handleTimers`).
    var nextSweep: Instant = .zero
    /// When initiations out are due to be sent again, earliest first: between sweeps the
    /// timers visit only the peers whose retry is due, and the next deadline is at hand, so
    /// a node with thousands of peers does not visit them all whenever it wakes. An entry
    /// whose handshake ended or was sent again since is stale, and dropped when it comes up.
    var retries = Heap<HandshakeRetry>()
    var lastTimestampNanoseconds: UInt64 = 0
    /// How old an initiator's keys get before it renews them: `Timing.rekeyAfterTime`, or less
    /// when a benchmark forces frequent rekeys (`WARREN_BENCH_REKEY_SECONDS`). Never more: the
    /// keys' other limits (`Timing.rejectAfterTime`) assume it.
    public var rekeyAfterTime = Timing.rekeyAfterTime {
        didSet { precondition(rekeyAfterTime > .zero && rekeyAfterTime <= Timing.rekeyAfterTime) }
    }

    /// Keys the operator's configuration names besides static peers (bootstrap nodes): until
    /// they first answer, their handshakes are retried as fast as a proven peer's, though
    /// no certificate proved them yet.
    public var configuredContacts: Set<Key32> = []

    /// Bumped whenever the routing snapshot would change; the caller republishes then.
    public private(set) var routingVersion: UInt64 = 0
    var routing: RoutingTable
    /// Bumped, as of the last snapshot, whenever a peer's path changed: a relay's forwarding
    /// depends on its members' paths only, not on their keys.
    public var pathsVersion: UInt64 { routing.pathsVersion }
    /// The peers whose routing changed since the last snapshot.
    var routingChanges: Set<Key32> = []

    public init(identity: consuming SigningKey, certificate: Certificate, authority: AuthorityCertificate,
                peers configured: [PeerConfig], blocklist: Blocklist, peerLimit: Int? = nil, random: any RandomSource) {
        handshakeKey = identity.x25519()
        signingKey = identity
        self.certificate = certificate
        self.authority = authority
        self.blocklist = blocklist
        self.peerLimit = peerLimit ?? Self.defaultPeerLimit(for: certificate.body.roles)
        endpointPolicy = EndpointPolicy(overlay: [authority.body.ipv4.network, authority.body.ipv6.network])
        self.rng = random
        ownMACKey = HandshakeMAC.key(for: handshakeKey.publicKey)
        let own = certificate.body
        routing = RoutingTable(localDestinations: [own.ipv4.address, own.ipv6.address].map(IPPrefix.init(host:)) + own.subnets)
        for c in configured where c.publicKey != certificate.publicKey {
            guard let hk = Ed25519.x25519PublicKey(from: c.publicKey) else { continue }
            peers[c.publicKey] = Peer(publicKey: c.publicKey, handshakeKey: hk, isStatic: true,
                                      endpoint: c.endpoint, persistentKeepalive: c.persistentKeepalive, foundBy: .config)
        }
    }

    /// Starts handshakes with every static peer that has an endpoint.
    public func start(now: Moment, into actions: inout [SessionAction]) {
        for peer in peers.values where peer.isStatic && peer.paths.endpoint != nil {
            initiate(peer, now: now, into: &actions)
        }
    }

    // MARK: Snapshot

    /// The routing snapshot with every change since the last one applied.
    public func snapshot(now: Instant) -> RoutingSnapshot {
        routing.update(routingChanges) { key in peers[key].flatMap { routingEntry($0, now: now) } }
        routingChanges.removeAll(keepingCapacity: true)
        return routing.snapshot
    }

    /// What `peer` puts in the routing snapshot: its certificate's addresses and the
    /// subnets our CA lets it route, with its keys and path; nothing before its first handshake.
    private func routingEntry(_ peer: Peer, now: Instant) -> RoutingTable.Entry? {
        guard let link = peer.link else { return nil }
        let body = link.certificate.body
        var host4: UInt32?, host6: IPv6Address?
        if case .v4(let a) = body.ipv4.address { host4 = a.value }
        if case .v6(let a) = body.ipv6.address { host6 = a }
        return RoutingTable.Entry(
            route: RoutingSnapshot.Route(link: link, keypair: peer.keys.sendable(at: now), path: peer.paths.current),
            host4: host4, host6: host6,
            // Verification refuses such subnets already; routing must not depend on it.
            subnets: body.subnets.filter { (try? authority.checkSubnet($0)) != nil },
            inbound: peer.keys.all.map { RoutingSnapshot.Inbound(keypair: $0, endpoint: peer.paths.endpoint) })
    }

    /// From now on the packet threads hand answers to `ports` of this node's IPv4 address to
    /// the control thread (a circuit relay's translations, `DataPath.Inbound.circuitAnswer`).
    public func reserveAnonymousPorts(_ ports: ClosedRange<UInt16>) {
        guard case .v4(let address) = certificate.body.ipv4.address else { return }
        routing.reserve(anonymousPorts: ports, of: address)
        routingVersion &+= 1
    }

    /// From now on the inbound thread delivers the packets circuits' last hops hand this node
    /// (`DataPath.anonymousDeliveryKind`) itself, as `circuits.accept_anonymous` allows.
    public func acceptAnonymousDeliveries() {
        guard case .v4(let address) = certificate.body.ipv4.address else { return }
        routing.acceptAnonymousDeliveries(to: address)
        routingVersion &+= 1
    }

    /// From now on the packet threads hand packets to `prefixes` to the control thread for
    /// its circuits (`DataPath.Outbound.viaCircuit`), whoever owns them.
    public func routeThroughCircuits(_ prefixes: [IPPrefix]) {
        routing.routeThroughCircuits(prefixes)
        routingVersion &+= 1
    }

    /// The peer with a session whose certificate owns `address`, as the packet threads
    /// route it (as of the last snapshot).
    public func owner(of address: IPAddress) -> PeerLink? {
        routing.snapshot.route(to: address)?.link
    }

    /// `peer`'s routes, keys or paths changed: the next snapshot takes them in.
    func routingChanged(_ peer: Peer) {
        routingChanges.insert(peer.publicKey)
        routingVersion &+= 1
    }

    // MARK: Packet-thread notices

    /// A packet for `link` arrived with no session: hold it and start a handshake. If a
    /// session came up since the packet thread read its snapshot (an answer to a peer's
    /// first packet is often that quick), the packet goes out on it instead: held, it would
    /// wait for a handshake nobody needs.
    public func hold(packet: [UInt8], for link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        guard let peer = peers[link.publicKey] else { return }
        sendOrStage(packet, to: peer, now: now, into: &actions)
    }

    /// Seals `plaintext` for `peer` and sends it on its path if a session can carry it;
    /// otherwise holds it and starts a handshake, unless one is under way.
    func sendOrStage(_ plaintext: [UInt8], to peer: Peer, now: Moment, into actions: inout [SessionAction]) {
        peer.lastWantedAt = now.instant
        if let path = peer.paths.current, let bytes = sealed(plaintext, for: peer, now: now) {
            transmit(bytes, on: path, into: &actions)
            return
        }
        _ = peer.stage(plaintext)
        if !peer.handshake.isAwaiting { initiate(peer, now: now, into: &actions) }
    }

    /// A responder keypair saw its first packet: promote it to current.
    public func confirmed(_ keypair: Keypair) {
        guard let peer = peers[keypair.link.publicKey], let freed = peer.keys.confirm(keypair) else { return }
        rekeyed(peer, freeing: freed)
    }

    /// The same, then sends what waited for a session: after crossing handshakes (a punch,
    /// say) the packets held for the peer go out on the first keypair that works.
    public func confirmed(_ keypair: Keypair, now: Moment, into actions: inout [SessionAction]) {
        confirmed(keypair)
        guard let peer = peers[keypair.link.publicKey], peer.keys.current === keypair, !peer.staged.isEmpty else { return }
        flushStaged(peer, now: now, into: &actions)
    }

    /// Authenticated packets from `link` now come directly from `endpoint`. A relayed peer
    /// keeps the relay until a probe to the new endpoint is answered (at the next tick).
    /// Returns whether the endpoint moved (`PathSelector.roam` may hold it).
    @discardableResult
    public func roamed(_ link: PeerLink, to endpoint: Endpoint, now: Instant) -> Bool {
        link.roamReported.store(false, ordering: .relaxed)
        guard let peer = peers[link.publicKey], peer.paths.roam(to: endpoint, now: now) else { return false }
        routingChanged(peer)
        return true
    }

    // MARK: Helpers shared by the handshake and timer code

    func allocateIndex(for key: Key32) -> UInt32 {
        while true {
            let candidate: UInt32 = rng.next()
            if candidate != 0, indices[candidate] == nil {
                indices[candidate] = key
                return candidate
            }
        }
    }

    func release(_ index: UInt32) {
        indices[index] = nil
        routing.free(index)
    }

    /// Records a refusal; returns an action only the first time this cause is seen from this
    /// source, so a misbehaving peer costs one log line, not one per packet, and only while
    /// the line budget lasts. `publicKey` must be one the message proved its sender holds:
    /// it names the refusal and marks that peer's status.
    func refuse(name: String?, publicKey: Key32?, endpoint: Endpoint, reason: RefusalReason, now: Moment,
                into actions: inout [SessionAction]) {
        let key = publicKey.map { KeyText.publicKey($0) }
        if let publicKey, let peer = peers[publicKey] { peer.lastError = reason.description }
        if let i = refusals.firstIndex(where: {
            $0.refusal.endpoint == endpoint.description && $0.refusal.publicKey == key && $0.reason.hasSameCause(as: reason)
        }) {
            refusals[i].refusal.count += 1
            refusals[i].refusal.reason = reason.description
            refusals[i].refusal.lastUnixSeconds = now.unixSeconds
            return
        }
        let refusal = Refusal(name: name, publicKey: key, endpoint: endpoint.description, reason: reason.description, count: 1,
                              lastUnixSeconds: now.unixSeconds)
        if refusals.count >= Self.maxRefusals { refusals.removeFirst() }
        refusals.append((reason, refusal))
        guard refusalLines.take(now: now.instant) else {
            unloggedRefusals += 1
            return
        }
        actions.append(.refused(refusal, notLogged: unloggedRefusals))
        unloggedRefusals = 0
    }

    /// Sends a datagram on `path`, in an envelope if the path is relayed.
    func transmit(_ datagram: [UInt8], on path: Path, into actions: inout [SessionAction]) {
        actions.append(.send(path.framing(datagram), to: path.endpoint))
    }

    /// Seals `payload` (empty for a keepalive) with the peer's current keypair.
    func sealed(_ payload: [UInt8], for peer: Peer, now: Moment) -> [UInt8]? {
        guard let keypair = peer.keys.sendable(at: now.instant) else { return nil }
        var buffer = [UInt8](repeating: 0, count: TransportHeader.overhead + payload.count)
        buffer.replaceSubrange(TransportHeader.byteCount..<TransportHeader.byteCount + payload.count, with: payload)
        let length = buffer.withUnsafeMutableBytes { keypair.seal($0, payloadCount: payload.count, now: now.instant) }
        guard let length else { return nil }
        keypair.link.noteSent(bytes: payload.count, isData: !payload.isEmpty, now: now.instant)
        return Array(buffer.prefix(length))
    }
}
