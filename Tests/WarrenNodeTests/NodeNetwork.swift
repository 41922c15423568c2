import WarrenCircuit
import WarrenCrypto
import WarrenDHT
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// An in-memory network of whole nodes on one flat underlay, as daemons with their packet
/// threads would be: every `NodeAction` is carried out (sends delivered through `DataPath`
/// with the receiver's last published snapshot, what the packet threads hand over fed back
/// as events), and time is a fake clock the test advances.
final class NodeNetwork {
    struct Member {
        let name: String
        let node: Node
        let endpoint: Endpoint
        let certificate: Certificate
        var snapshot = RoutingSnapshot.empty
        var circuitRelay: LockedCircuitRelay?
        var circuitSending = CircuitSending.empty
        var circuitEnds = CircuitEnds.empty
        var ipv4: IPv4Address {
            guard case .v4(let a) = certificate.body.ipv4.address else { fatalError() }
            return a
        }
    }

    var now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 2_000 * 1_000_000_000)
    var members: [Member] = []
    /// Everything each member was asked to do, in order.
    var performed: [[NodeAction]] = []
    /// IP packets that reached each member's TUN device: from peers, and written by the node.
    var delivered: [[[UInt8]]] = []
    /// What each member's packet threads handed to its control thread.
    var handedOver: [[ControlEvent]] = []
    /// Pairs of members (by index, in sending order) whose datagrams are lost, as between
    /// two NATs no punch opens.
    var blocked: Set<[Int]> = []
    /// Control messages a member's peers keep from it (a source withholding part of what it
    /// should give), decided per message at the receiving member `at`; and how many were.
    var withholds: ((_ message: [UInt8], _ at: Int, _ from: Key32) -> Bool)?
    var withheld = 0
    var rng = SeededRandom(seed: 21)
    var nextRequest: RequestID = 0
    let ca: CertificateAuthority
    let foreignCA: CertificateAuthority

    init() {
        var r = SeededRandom(seed: 2)
        ca = try! CertificateAuthority.create(name: "net", key: SigningKey(random: &r), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                              notBefore: 0, notAfter: 100_000)
        foreignCA = try! CertificateAuthority.create(name: "other", key: SigningKey(random: &r), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                     notBefore: 0, notAfter: 100_000)
    }

    /// Adds a member at `endpoint`, by default 192.0.2.`host`:51820, with overlay address
    /// 10.8.0.`host`; `staticPeers` and `bootstrap` are earlier members' indices. A `foreign`
    /// member belongs to another network (another CA, the same address plan). `adjust`
    /// changes its settings.
    @discardableResult
    func add(_ name: String, host: UInt8, endpoint: Endpoint? = nil, roles: Roles = [], staticPeers: [Int] = [],
             bootstrap: [Int] = [], foreign: Bool = false, adjust: (inout NodeSettings) -> Void = { _ in }) -> Int {
        let key = SigningKey(random: &rng)
        let prefix = IPPrefix("10.8.0.\(host)/16")!
        let certificate = foreign
            ? try! foreignCA.sign(name: name, publicKey: key.publicKey, ipv4: prefix, roles: roles, subnets: [], notBefore: 0, notAfter: 100_000)
            : try! ca.sign(name: name, publicKey: key.publicKey, ipv4: prefix, roles: roles, subnets: [], notBefore: 0, notAfter: 100_000)
        let endpoint = endpoint ?? Endpoint("192.0.2.\(host):51820")!
        var settings = NodeSettings(interfaceName: "warren0", listenPort: 51820,
                                    bootstrap: bootstrap.map { Contact(publicKey: members[$0].certificate.publicKey, endpoint: members[$0].endpoint) })
        adjust(&settings)
        let signer = SigningKey(seed: key.seed())
        let authority = foreign ? foreignCA.certificate : ca.certificate
        let manager = SessionManager(identity: key, certificate: certificate, authority: authority,
                                     peers: staticPeers.map { PeerConfig(publicKey: members[$0].certificate.publicKey, endpoint: members[$0].endpoint) },
                                     blocklist: [], random: SeededRandom(seed: UInt64(host)))
        let node = Node(settings: settings, manager: manager, recordSigner: signer, authority: authority, drops: DropCounters(),
                        random: SeededRandom(seed: 100 + UInt64(host)), now: now.instant)
        members.append(Member(name: name, node: node, endpoint: endpoint, certificate: certificate))
        performed.append([])
        delivered.append([])
        handedOver.append([])
        return members.count - 1
    }

    /// a (10.8.0.2) with b (10.8.0.1) as its static peer, their session up for a second.
    static func connectedPair() -> (NodeNetwork, a: Int, b: Int) {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, staticPeers: [b])
        net.start(b)
        net.start(a)
        net.run(for: .seconds(1))
        return (net, a, b)
    }

    /// Member `i` goes away: whatever is sent to its endpoint goes nowhere from now on.
    func vanish(_ i: Int) {
        move(i, to: Endpoint("192.0.2.200:1")!)
    }

    /// Member `i`'s underlay address changes (a new DHCP lease, another network).
    func move(_ i: Int, to endpoint: Endpoint) {
        var moved = Member(name: members[i].name, node: members[i].node, endpoint: endpoint, certificate: members[i].certificate)
        moved.snapshot = members[i].snapshot
        moved.circuitRelay = members[i].circuitRelay
        moved.circuitSending = members[i].circuitSending
        moved.circuitEnds = members[i].circuitEnds
        members[i] = moved
    }

    func advance(_ d: Duration) {
        now.instant = now.instant + d
        now.unixNanoseconds += UInt64(d.nanosecondsValue)
    }

    func start(_ i: Int, savedContacts: [Contact] = []) {
        var actions: [NodeAction] = []
        members[i].node.start(savedContacts: savedContacts, now: now, into: &actions)
        perform(actions, at: i)
    }

    func handle(_ event: NodeEvent, at i: Int) {
        if case .packet(let handed) = event { handedOver[i].append(handed) }
        var actions: [NodeAction] = []
        members[i].node.handle(event, now: now, into: &actions)
        perform(actions, at: i)
    }

    func timeout(_ i: Int) {
        var actions: [NodeAction] = []
        members[i].node.handleTimeout(now: now, into: &actions)
        perform(actions, at: i)
    }

    /// Runs every member's timers every `step` for `duration`, as their control loops would.
    func run(for duration: Duration, step: Duration = .milliseconds(100)) {
        var elapsed: Duration = .zero
        while elapsed < duration {
            advance(step)
            elapsed += step
            for i in members.indices { timeout(i) }
        }
    }

    /// The replies member `i` sent to control requests, by request.
    func replies(at i: Int) -> [(RequestID, NodeReply)] {
        performed[i].compactMap { if case .reply(let id, let reply) = $0 { (id, reply) } else { nil } }
    }

    func logs(at i: Int) -> [LogEvent] {
        performed[i].compactMap { if case .log(let event) = $0 { event } else { nil } }
    }

    /// Sends a control message from member `from` to member `to` inside their session, as
    /// a peer's node would (for messages a test forges).
    func sendControl(_ bytes: [UInt8], from: Int, to: Int) {
        var sessionActions: [SessionAction] = []
        members[from].node.manager.sendControl(bytes, to: members[to].certificate.publicKey, endpoint: nil, now: now,
                                               into: &sessionActions)
        perform(sessionActions.compactMap { if case .send(let b, let e) = $0 { .send(b, to: e) } else { nil } }, at: from)
    }

    /// Asks member `i` a control request; returns its reply if it came at once (the id is
    /// `nextRequest`).
    @discardableResult
    func request(_ request: NodeRequest, at i: Int) -> NodeReply? {
        nextRequest += 1
        let id = nextRequest
        handle(.request(id, request), at: i)
        return reply(id, at: i)
    }

    func reply(_ id: RequestID, at i: Int) -> NodeReply? {
        replies(at: i).first { $0.0 == id }?.1
    }

    func hasReply(_ id: RequestID, at i: Int) -> Bool { reply(id, at: i) != nil }

    func status(_ i: Int) -> StatusReport {
        guard case .status(let report)? = request(.status, at: i) else { fatalError("status is answered at once") }
        return report
    }

    func sends(at i: Int, to endpoint: Endpoint) -> [[UInt8]] {
        performed[i].compactMap { if case .send(let bytes, let e) = $0, e == endpoint { bytes } else { nil } }
    }

    /// Carries out member `i`'s actions, delivering its datagrams at once.
    func perform(_ actions: [NodeAction], at i: Int) {
        for action in actions {
            performed[i].append(action)
            switch action {
            case .send(let bytes, let endpoint):
                guard let to = members.firstIndex(where: { $0.endpoint == endpoint }), !blocked.contains([i, to]) else { continue }
                receive(bytes, at: to, from: members[i].endpoint)
            case .publishRouting(let snapshot):
                members[i].snapshot = snapshot
            case .publishCircuitRelay(let relay):
                members[i].circuitRelay = relay
            case .publishCircuitSending(let circuits):
                members[i].circuitSending = circuits
            case .publishCircuitEnds(let circuits):
                members[i].circuitEnds = circuits
            case .writeTUN(let packet):
                delivered[i].append(packet)
            default:
                break
            }
        }
    }

    /// A datagram arriving at member `to`, through the inbound path as the receive thread
    /// takes it.
    func receive(_ datagram: [UInt8], at to: Int, from source: Endpoint) {
        var bytes = datagram
        var notices = DataPath.Notices()
        let verdict = bytes.withUnsafeMutableBytes {
            DataPath.inbound($0, from: source, snapshot: members[to].snapshot, now: now.instant, notices: &notices)
        }
        if let (link, endpoint) = notices.roamed { handle(.packet(.roamed(link, endpoint)), at: to) }
        if let keypair = notices.confirmed { handle(.packet(.confirmed(keypair)), at: to) }
        switch verdict {
        case .handshake(let offset, let path):
            handle(.packet(.handshake(Array(datagram[offset...]), from: path)), at: to)
        case .deliver(let offset, let length):
            delivered[to].append(Array(bytes[offset..<offset + length]))
        case .control(let offset, let length, let link, let path, let keypair):
            let opened = bytes.withUnsafeMutableBytes {
                members[to].circuitSending.open(UnsafeMutableRawBufferPointer(rebasing: $0[offset..<offset + length]),
                                                from: link.publicKey, snapshot: members[to].snapshot, now: now.instant)
            }
            switch opened {
            case .packet(let start, let count)?:
                delivered[to].append(Array(bytes[offset + start..<offset + start + count]))
            case .command(let command, let circuit)?:
                handle(.packet(.circuitCommand(command, circuit: circuit)), at: to)
            case .drop(let reason)?:
                members[to].node.drops.count(reason)
            case nil:
                passOn(Array(bytes[offset..<offset + length]), at: to, from: link, path: path, keypair: keypair)
            }
        case .circuitAnswer(let offset, let length, let link):
            var room = [UInt8](repeating: 0, count: DataPath.payloadOffset + CircuitSending.largestMessage + 64)
            let answered = bytes.withUnsafeBytes { bytes in
                room.withUnsafeMutableBytes {
                    members[to].circuitEnds.answer(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), in: $0,
                                                   snapshot: members[to].snapshot, now: now.instant)
                }
            }
            switch answered {
            case .send(let at, let count, let endpoint, _)?: transmit(Array(room[at..<at + count]), from: to, to: endpoint)
            case .drop?: break
            default: handle(.packet(.circuitAnswer(Array(bytes[offset..<offset + length]), link: link)), at: to)
            }
        case .stun:
            handle(.packet(.stun(datagram, from: source)), at: to)
        case .drop(let reason):
            members[to].node.drops.count(reason)
        case .keepalive:
            break
        }
    }

    /// A control message at member `to`: delivered by its inbound thread if it carries a
    /// packet of a circuit that ends there, passed on to a circuit's next neighbour if it
    /// can, handled by its relay if that holds its circuit, else for its control thread.
    private func passOn(_ message: [UInt8], at to: Int, from link: PeerLink, path: Path, keypair: Keypair) {
        guard let circuitRelay = members[to].circuitRelay else { return toControl(message, at: to, from: link, path: path) }
        var room = [UInt8](repeating: 0, count: DataPath.payloadOffset + CircuitSending.largestMessage + 64)
        let left = message.withUnsafeBytes { message in
            room.withUnsafeMutableBytes {
                members[to].circuitEnds.leave(message, from: link.publicKey, in: $0, snapshot: members[to].snapshot, now: now.instant)
            }
        }
        switch left {
        case .deliver(.send(let offset, let length, let endpoint, _))?:
            return transmit(Array(room[offset..<offset + length]), from: to, to: endpoint)
        case .forControl(let payload, let circuit)?:
            return handle(.packet(.leftCircuit(payload, circuit: circuit)), at: to)
        case .deliver?, .drop?:
            return
        case nil:
            break
        }
        let passed = message.withUnsafeBytes { message in
            room.withUnsafeMutableBytes {
                circuitRelay.circuitSwitch.pass(message, from: link.publicKey, in: $0, snapshot: members[to].snapshot, now: now.instant)
            }
        }
        switch passed {
        case .send(let offset, let length, let endpoint, _)?:
            transmit(Array(room[offset..<offset + length]), from: to, to: endpoint)
        case .drop?:
            break
        default:
            var decided: [CircuitRelay.Action] = []
            guard message.withUnsafeBytes({ circuitRelay.take($0, from: link.publicKey, now: now.instant, into: &decided) }) else {
                return toControl(message, at: to, from: link, path: path)
            }
            // `transmit` copies what it sends, so one room serves every message.
            let forControl = room.withUnsafeMutableBytes { room in
                LockedCircuitRelay.carryOut(decided, snapshot: members[to].snapshot, answering: keypair, by: path, now: now.instant,
                                            room: { room }, send: { transmit(Array($0), from: to, to: $1) })
            }
            if !forControl.isEmpty { handle(.packet(.relayActions(forControl)), at: to) }
        }
    }

    /// A control message member `to`'s inbound thread leaves to its control thread.
    private func toControl(_ message: [UInt8], at to: Int, from link: PeerLink, path: Path) {
        if let withholds, withholds(message, to, link.publicKey) {
            withheld += 1
            return
        }
        handle(.packet(.control(message, link: link, from: path)), at: to)
    }

    /// A datagram member `from`'s inbound thread sends.
    private func transmit(_ datagram: [UInt8], from: Int, to endpoint: Endpoint) {
        guard let next = members.firstIndex(where: { $0.endpoint == endpoint }), !blocked.contains([from, next]) else { return }
        receive(datagram, at: next, from: members[from].endpoint)
    }

    /// An IP packet from member `from`'s host, through the outbound path as the send thread
    /// takes it.
    func send(_ packet: [UInt8], from: Int) {
        var buffer = [UInt8](repeating: 0, count: DataPath.payloadOffset + max(packet.count, CircuitSending.largestMessage)
                                                  + TransportHeader.tagByteCount)
        buffer.replaceSubrange(DataPath.payloadOffset..<DataPath.payloadOffset + packet.count, with: packet)
        let verdict = buffer.withUnsafeMutableBytes {
            let verdict = DataPath.outbound($0, count: packet.count, snapshot: members[from].snapshot, now: now.instant)
            guard case .viaCircuit = verdict else { return verdict }
            return members[from].circuitSending.seal($0, count: packet.count, snapshot: members[from].snapshot, now: now.instant)
                ?? verdict
        }
        switch verdict {
        case .send(let offset, let length, let endpoint, _):
            guard let to = members.firstIndex(where: { $0.endpoint == endpoint }), !blocked.contains([from, to]) else { return }
            receive(Array(buffer[offset..<offset + length]), at: to, from: members[from].endpoint)
        case .needsSession(let link):
            handle(.packet(.hold(packet, link: link)), at: from)
        case .viaCircuit:
            handle(.packet(.viaCircuit(packet)), at: from)
        case .drop(.noRoute):
            guard case .v4(let destination)? = packet.withUnsafeBytes({ IPPacket.destination($0) }) else { return }
            handle(.packet(.unroutable(destination, packet: packet)), at: from)
        case .drop:
            break
        }
    }
}

func ipv4Packet(from source: IPv4Address, to destination: IPv4Address, payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
    let total = 20 + payload.count
    var p: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 1, 0, 0]
    p += source.bytes + destination.bytes
    return p + payload
}
