import WarrenCrypto
import WarrenDHT
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// A discrete-event simulation of a Warren mesh: whole nodes (sessions, DHT, punching,
/// relaying, STUN) behind NAT boxes on one simulated underlay, their packet paths played by
/// `DataPath` as the packet threads would, on a simulated clock. Every member starts cold;
/// then members ping members they never met, and the report says how many pings were
/// answered, how soon, and how soon the path was direct. Deterministic per seed.
public final class MeshSimulation {
    enum Event {
        case start(Int32)
        case stop(Int32)
        case timer(Int32)
        /// A datagram arriving at host `to`'s socket from `source` (as its NAT or the network
        /// shows it).
        case datagram(to: Int32, bytes: [UInt8], source: Endpoint)
        case ping(Int32)
        case echo(Int32, attempt: Int)
        case watch(Int32)
    }

    /// A host: its node, where it sits, and what its packet threads hold.
    final class Host {
        /// Replaced by a fresh one when the host restarts.
        var node: Node
        /// Builds the node this host runs, the same identity each time.
        let makeNode: () -> Node
        /// What its node saved when it last stopped, for the next start.
        var savedContacts: [Contact] = []
        /// When it stopped and when it started again, if it restarted.
        var stoppedAt: UInt64?
        var restartedAt: UInt64?
        let site: MeshScenario.Site
        let overlay: IPv4Address
        let publicKey: Key32
        /// Its own address (public, or private behind its NAT) with the Warren port.
        let local: Endpoint
        var nat: NATBox?
        let accessNanoseconds: UInt64
        var snapshot = RoutingSnapshot.empty
        var forwarding = RelayForwarding.empty
        var started = false
        /// The time of the timer event that counts (later ones replace it).
        var timerAt: UInt64 = .max

        init(makeNode: @escaping () -> Node, site: MeshScenario.Site, overlay: IPv4Address, local: Endpoint, nat: NATBox?,
             accessNanoseconds: UInt64) {
            self.makeNode = makeNode
            node = makeNode()
            self.site = site
            self.overlay = overlay
            publicKey = node.manager.certificate.publicKey
            self.local = local
            self.nat = nat
            self.accessNanoseconds = accessNanoseconds
        }
    }

    /// A ping between a pair that never met, as it goes.
    struct Ping {
        var from: Int32 = -1
        var to: Int32 = -1
        var startedAt: UInt64 = 0
        var firstReply: UInt64?
        var direct: UInt64?
    }

    static let originInstant: UInt64 = 1_000_000 * 1_000_000_000
    static let originUnixSeconds: UInt64 = 1_800_000_000
    static let port: UInt16 = 51820

    public let scenario: MeshScenario
    var hosts: [Host] = []
    /// Which host answers at a public address: an open host's own, or its NAT's.
    var byAddress: [IPAddress: Int32] = [:]
    var queue = EventQueue<Event>()
    var now: UInt64 = 0
    var random: SimulationRandom
    var pings: [Ping]
    var actions: [NodeAction] = []
    var datagrams = 0

    public init(_ scenario: MeshScenario) {
        self.scenario = scenario
        var root = SimulationRandom(seed: scenario.seed)
        var keys = root.split()
        random = root.split()
        pings = Array(repeating: Ping(), count: scenario.pings)
        let ca = try! CertificateAuthority.create(name: "mesh", key: SigningKey(random: &keys), ipv4Network: IPPrefix("10.200.0.0/16")!,
                                                  notBefore: 0, notAfter: 4_000_000_000)
        let total = scenario.relays + scenario.nodes
        var bootstrap: [Contact] = []
        let shares = scenario.mix.map(\.share).reduce(0, +)
        for i in 0..<total {
            let isRelay = i < scenario.relays
            var site = MeshScenario.Site.open
            if !isRelay {
                var draw = random.unit() * shares
                for entry in scenario.mix {
                    draw -= entry.share
                    site = entry.site
                    if draw < 0 { break }
                }
            }
            let key = SigningKey(random: &keys)
            let publicKey = key.publicKey
            let overlay = IPv4Address(10, 200, UInt8((i + 1) >> 8), UInt8((i + 1) & 0xff))
            let certificate = try! ca.sign(name: "n\(i)", publicKey: publicKey, ipv4: IPPrefix("\(overlay)/16")!,
                                           roles: isRelay ? .relay : [], subnets: [], notBefore: 0, notAfter: 4_000_000_000)
            let publicAddress = IPAddress.v4(IPv4Address(198, 18 + UInt8(i >> 16), UInt8((i >> 8) & 0xff), UInt8(i & 0xff)))
            var local = Endpoint(address: publicAddress, port: Self.port)
            var nat: NATBox?
            if case .nat(let kind) = site {
                local = Endpoint(address: .v4(IPv4Address(172, 16 + UInt8(i >> 16), UInt8((i >> 8) & 0xff), UInt8(i & 0xff))), port: Self.port)
                nat = NATBox(kind: kind, publicAddress: publicAddress, host: local)
            }
            let settings = NodeSettings(interfaceName: "warren0", listenPort: Self.port, bootstrap: isRelay ? [] : bootstrap)
            let seed = key.seed().withUnsafeBytes { Array($0) }
            var nodeRandom = keys.split()
            let authority = ca.certificate
            let makeNode = { [unowned self] in
                let manager = SessionManager(identity: SigningKey(seed: SecretBytes(copying: seed)), certificate: certificate,
                                             authority: authority, peers: [], blocklist: [], random: nodeRandom.split())
                return Node(settings: settings, manager: manager, recordSigner: SigningKey(seed: SecretBytes(copying: seed)), authority: authority,
                            drops: DropCounters(), random: nodeRandom.split(), now: moment.instant)
            }
            let access = scenario.accessMilliseconds
            let delay = UInt64((access.lowerBound + random.unit() * (access.upperBound - access.lowerBound)) * 1e6)
            hosts.append(Host(makeNode: makeNode, site: site, overlay: overlay, local: local, nat: nat, accessNanoseconds: delay))
            byAddress[publicAddress] = Int32(i)
            if isRelay { bootstrap.append(Contact(publicKey: publicKey, endpoint: local)) }
        }
        for i in 0..<total {
            let at = i < scenario.relays ? 0 : UInt64(random.unit() * scenario.startSeconds * 1e9)
            queue.push(.start(Int32(i)), at: at)
        }
        for i in scenario.relays..<total where random.unit() < scenario.churn {
            let stop = (scenario.pingStartSeconds + random.unit() * scenario.pingSpreadSeconds) * 1e9
            queue.push(.stop(Int32(i)), at: UInt64(stop))
        }
        for k in 0..<scenario.pings {
            let at = (scenario.pingStartSeconds + Double(k) * scenario.pingSpreadSeconds / Double(max(scenario.pings, 1))) * 1e9
            queue.push(.ping(Int32(k)), at: UInt64(at))
        }
    }

    var moment: Moment {
        Moment(instant: Instant(nanoseconds: Self.originInstant + now), unixNanoseconds: Self.originUnixSeconds * 1_000_000_000 + now)
    }

    /// Runs every event; returns what the pings met.
    public func run() -> MeshReport {
        let end = UInt64((scenario.pingStartSeconds + scenario.pingSpreadSeconds + MeshScenario.watchSeconds + 1) * 1e9)
        while let entry = queue.pop(), entry.time <= end {
            now = entry.time
            switch entry.payload {
            case .start(let h): start(h)
            case .stop(let h): stop(h)
            case .timer(let h): timer(h, at: entry.time)
            case .datagram(let h, let bytes, let source): receive(bytes, at: h, from: source)
            case .ping(let k): ping(k)
            case .echo(let k, let attempt): echo(k, attempt: attempt)
            case .watch(let k): watch(k)
            }
        }
        return report()
    }

    private func start(_ h: Int32) {
        let host = hosts[Int(h)]
        if host.stoppedAt != nil {
            // A restarted daemon: nothing of the old one but its identity and saved contacts.
            host.node = host.makeNode()
            host.snapshot = .empty
            host.forwarding = .empty
            host.restartedAt = now
        }
        host.started = true
        host.node.handle(.localAddresses(HostAddresses(addresses: [host.local.address])), now: moment, into: &actions)
        host.node.start(savedContacts: host.savedContacts, now: moment, into: &actions)
        perform(at: h)
    }

    /// Host `h`'s daemon stops (its contacts saved), and starts again after a pause.
    private func stop(_ h: Int32) {
        let host = hosts[Int(h)]
        guard host.started else { return }
        host.node.stop(into: &actions)
        perform(at: h)
        host.started = false
        host.stoppedAt = now
        host.timerAt = .max
        let down = scenario.downSeconds
        queue.push(.start(h), at: now + UInt64((down.lowerBound + random.unit() * (down.upperBound - down.lowerBound)) * 1e9))
    }

    private func timer(_ h: Int32, at time: UInt64) {
        let host = hosts[Int(h)]
        guard host.timerAt == time, host.started else { return }
        host.timerAt = .max
        host.node.handleTimeout(now: moment, into: &actions)
        perform(at: h)
    }

    /// Hands `event` to host `h`'s node and carries out what it decides.
    func handle(_ event: NodeEvent, at h: Int32) {
        let host = hosts[Int(h)]
        guard host.started else { return }
        host.node.handle(event, now: moment, into: &actions)
        perform(at: h)
    }

    /// Carries out host `h`'s pending actions, then makes sure its next deadline is on the
    /// agenda.
    func perform(at h: Int32) {
        let host = hosts[Int(h)]
        let taken = actions
        actions.removeAll(keepingCapacity: true)
        for action in taken {
            switch action {
            case .send(let bytes, let endpoint): send(bytes, from: h, to: endpoint)
            case .publishRouting(let snapshot): host.snapshot = snapshot
            case .publishForwarding(let forwarding): host.forwarding = forwarding
            case .writeTUN(let packet): delivered(packet, at: h)
            case .saveContacts(let contacts): host.savedContacts = contacts
            case .joinBeaconGroup, .sendBeacon, .saveGuards, .saveDirectory, .publishCircuitRelay, .publishCircuitSending, .publishCircuitEnds, .reply, .log: break
            }
        }
        let deadline = host.node.nextDeadline(after: moment.instant).nanoseconds
        let at = deadline > Self.originInstant + now ? deadline - Self.originInstant : now + 1
        if at < host.timerAt {
            host.timerAt = at
            queue.push(.timer(h), at: at)
        }
    }
}
