import WarrenCrypto
import WarrenPKI
import WarrenSession
import WarrenWire

/// An in-memory network of session managers: actions that send are delivered to the manager
/// owning the destination endpoint; transport packets go through `DataPath` as the packet
/// threads would. Time is a fake clock the test advances.
final class SessionHarness {
    struct Node {
        let name: String
        let manager: SessionManager
        let endpoint: Endpoint
        let certificate: Certificate
        var ipv4: IPv4Address {
            guard case .v4(let a) = certificate.body.ipv4.address else { fatalError() }
            return a
        }
    }

    /// What each node's receive thread keeps: its handshake admission check, and how many
    /// messages it sees waiting for the control thread (a test sets it to put a node under
    /// load).
    final class ReceiveThread {
        var admission: HandshakeAdmission
        var backlog = 0

        init(handshakeKey: Key32, seed: UInt64) {
            admission = HandshakeAdmission(ownHandshakeKey: handshakeKey, random: SeededRandom(seed: seed))
        }
    }

    var now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 2_000 * 1_000_000_000)
    var nodes: [Node] = []
    private var receiveThreads: [ObjectIdentifier: ReceiveThread] = [:]
    /// Each node's private key seed, so a test can rebuild a node with the same identity.
    var seeds: [[UInt8]] = []
    var log: [SessionAction] = []
    var dropped: [DropReason] = []
    /// Transport datagrams captured on the wire, for replay tests.
    var captured: [[UInt8]] = []
    var rng = SeededRandom(seed: 11)
    /// A relay in the middle of the network, forwarding envelopes as a relay's packet thread
    /// does: channel → (where it must come from, which node it goes to, its channel there).
    let relayEndpoint = Endpoint("192.0.2.250:51820")!
    var relayChannels: [UInt32: (source: Endpoint, to: Int, channel: UInt32)] = [:]
    /// Pairs of nodes (by index, in sending order) whose direct datagrams are lost, as
    /// between two NATs that no punch opens.
    var blocked: Set<[Int]> = []
    let ca: CertificateAuthority
    /// Another network's CA, with the same address plan, for refusal tests.
    let foreignCA: CertificateAuthority

    init() {
        var r = SeededRandom(seed: 1)
        ca = try! CertificateAuthority.create(name: "net", key: SigningKey(random: &r), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                              notBefore: 0, notAfter: 100_000)
        foreignCA = try! CertificateAuthority.create(name: "other", key: SigningKey(random: &r),
                                                     ipv4Network: IPPrefix("10.8.0.0/16")!, notBefore: 0, notAfter: 100_000)
    }

    /// Adds a node at endpoint 192.0.2.`host` with overlay address 10.8.0.`overlayHost`
    /// (`host` unless given); `peers` are indices of earlier nodes it has as static peers.
    @discardableResult
    func addNode(_ name: String, host: UInt8, overlayHost: UInt8? = nil, staticPeers: [Int] = [], foreign: Bool = false,
                 keepalive: Duration? = nil, blocklist: Blocklist = [], subnets: [IPPrefix] = [],
                 notBefore: UInt64 = 0, roles: Roles = [], peerLimit: Int? = nil) -> Int {
        let key = SigningKey(random: &rng)
        seeds.append(key.seed().withUnsafeBytes { Array($0) })
        let prefix = IPPrefix("10.8.0.\(overlayHost ?? host)/16")!
        let cert = foreign
            ? try! foreignCA.sign(name: name, publicKey: key.publicKey, ipv4: prefix, roles: roles, subnets: subnets,
                                  notBefore: notBefore, notAfter: 100_000)
            : try! ca.sign(name: name, publicKey: key.publicKey, ipv4: prefix, roles: roles, subnets: subnets,
                           notBefore: notBefore, notAfter: 100_000)
        let configs = staticPeers.map { i in
            PeerConfig(publicKey: nodes[i].certificate.publicKey, endpoint: nodes[i].endpoint, persistentKeepalive: keepalive)
        }
        let manager = SessionManager(identity: key, certificate: cert, authority: ca.certificate, peers: configs,
                                     blocklist: blocklist, peerLimit: peerLimit, random: SeededRandom(seed: UInt64(host)))
        nodes.append(Node(name: name, manager: manager, endpoint: Endpoint("192.0.2.\(host):51820")!, certificate: cert))
        return nodes.count - 1
    }

    /// Node `i` stops answering: whatever is sent to its old endpoint goes nowhere.
    func vanish(_ i: Int) {
        nodes[i] = Node(name: "gone", manager: nodes[i].manager, endpoint: Endpoint("192.0.2.200:1")!, certificate: nodes[i].certificate)
    }

    func advance(_ d: Duration) {
        now.instant = now.instant + d
        now.unixNanoseconds += UInt64(d.nanosecondsValue)
    }

    func start(_ i: Int) {
        var actions: [SessionAction] = []
        nodes[i].manager.start(now: now, into: &actions)
        run(actions, from: i)
    }

    func tick(_ i: Int) {
        var actions: [SessionAction] = []
        nodes[i].manager.handleTimers(now: now, into: &actions)
        run(actions, from: i)
    }

    /// Delivers sends until the network is quiet. Returns IP packets delivered, per node.
    @discardableResult
    func run(_ actions: [SessionAction], from source: Int) -> [(to: Int, packet: [UInt8])] {
        var queue = actions.map { (source, $0) }
        var delivered: [(Int, [UInt8])] = []
        while !queue.isEmpty {
            let (from, action) = queue.removeFirst()
            log.append(action)
            guard case .send(let bytes, let endpoint) = action, let (to, more, packets) = transmit(bytes, from: from, to: endpoint) else { continue }
            queue += more.map { (to, $0) }
            delivered += packets.map { (to, $0) }
        }
        return delivered
    }

    /// One datagram from node `from` on the wire to `endpoint`: through the relay if it is
    /// addressed there, lost if the pair is blocked or nobody is there.
    func transmit(_ bytes: [UInt8], from: Int, to endpoint: Endpoint) -> (to: Int, actions: [SessionAction], packets: [[UInt8]])? {
        if endpoint == relayEndpoint {
            let channel = bytes.withUnsafeBytes { RelayEnvelope.channel($0) }
            guard let channel, let entry = relayChannels[channel], entry.source == nodes[from].endpoint else { return nil }
            var forwarded = bytes
            forwarded.withUnsafeMutableBytes { RelayEnvelope.write(channel: entry.channel, into: $0) }
            let (actions, packets) = receive(forwarded, at: entry.to, from: relayEndpoint)
            return (entry.to, actions, packets)
        }
        guard let to = nodes.firstIndex(where: { $0.endpoint == endpoint }), !blocked.contains([from, to]) else { return nil }
        let (actions, packets) = receive(bytes, at: to, from: nodes[from].endpoint)
        return (to, actions, packets)
    }

    /// Binds relay channels between nodes `a` and `b` and tells both, as a relay would.
    /// Returns the IP packets delivered meanwhile.
    @discardableResult
    func bindRelay(_ a: Int, _ b: Int, channels: (UInt32, UInt32) = (0xA0A0, 0xB0B0), relayKey: Key32) -> [(to: Int, packet: [UInt8])] {
        var delivered: [(to: Int, packet: [UInt8])] = []
        relayChannels[channels.0] = (nodes[a].endpoint, b, channels.1)
        relayChannels[channels.1] = (nodes[b].endpoint, a, channels.0)
        for (node, peer, channel) in [(a, b, channels.0), (b, a, channels.1)] {
            var actions: [SessionAction] = []
            nodes[node].manager.bindRelay(towards: nodes[peer].certificate.publicKey, through: relayKey,
                                          path: Path(endpoint: relayEndpoint, channel: channel), now: now, into: &actions)
            delivered += run(actions, from: node)
        }
        return delivered
    }

    /// Node `i`'s receive thread, made when first needed.
    func receiveThread(_ i: Int) -> ReceiveThread {
        let manager = nodes[i].manager
        if let thread = receiveThreads[ObjectIdentifier(manager)] { return thread }
        let thread = ReceiveThread(handshakeKey: manager.handshakePublicKey, seed: 1000 + UInt64(i))
        receiveThreads[ObjectIdentifier(manager)] = thread
        return thread
    }

    /// One datagram arriving at node `to`, as the receive thread would handle it (and the
    /// control thread, what it hands on).
    func receive(_ datagram: [UInt8], at to: Int, from endpoint: Endpoint) -> ([SessionAction], [[UInt8]]) {
        let manager = nodes[to].manager
        var bytes = datagram
        var notices = DataPath.Notices()
        let snapshot = manager.snapshot(now: now.instant)
        let verdict = bytes.withUnsafeMutableBytes {
            DataPath.inbound($0, from: endpoint, snapshot: snapshot, now: now.instant, notices: &notices)
        }
        var actions: [SessionAction] = []
        if let (link, e) = notices.roamed { manager.roamed(link, to: e, now: now.instant) }
        if let k = notices.confirmed { manager.confirmed(k, now: now, into: &actions) }
        switch verdict {
        case .handshake(let offset, let path):
            let thread = receiveThread(to)
            let admitted = datagram[offset...].withUnsafeBytes {
                thread.admission.check($0, from: path, now: now.instant, backlog: { thread.backlog })
            }
            switch admitted {
            case .admit:
                if let reason = manager.handleHandshake(Array(datagram[offset...]), from: path, now: now, into: &actions) {
                    dropped.append(reason)
                }
            case .cookieReply(let reply, let endpoint):
                actions.append(.send(reply, to: endpoint))
                dropped.append(.underLoad)
            case .drop(let reason):
                dropped.append(reason)
            }
        case .deliver(let offset, let n):
            captured.append(datagram)
            return (actions, [Array(bytes[offset..<offset + n])])
        case .control(let offset, let n, let link, let path, _):
            captured.append(datagram)
            if let probe = try? PathProbe(parsing: Array(bytes[offset..<offset + n])) {
                manager.handleProbe(probe, from: link, path: path, now: now, into: &actions)
            }
        case .keepalive, .circuitAnswer:
            captured.append(datagram)
        case .drop(let reason):
            dropped.append(reason)
        case .stun:
            dropped.append(.unknownType)
        }
        return (actions, [])
    }

    /// Sends an IP packet from node `from` to overlay address `to` through the TX path.
    @discardableResult
    func send(_ packet: [UInt8], from: Int) -> [(to: Int, packet: [UInt8])] {
        let manager = nodes[from].manager
        var buffer = [UInt8](repeating: 0, count: DataPath.payloadOffset + packet.count + TransportHeader.tagByteCount)
        buffer.replaceSubrange(DataPath.payloadOffset..<DataPath.payloadOffset + packet.count, with: packet)
        let snapshot = manager.snapshot(now: now.instant)
        let verdict = buffer.withUnsafeMutableBytes { DataPath.outbound($0, count: packet.count, snapshot: snapshot, now: now.instant) }
        switch verdict {
        case .send(let offset, let length, let endpoint, _):
            // Nobody there any more: the packet is lost.
            guard let (to, actions, packets) = transmit(Array(buffer[offset..<offset + length]), from: from, to: endpoint) else { return [] }
            return run(actions, from: to) + packets.map { (to, $0) }
        case .needsSession(let link):
            var actions: [SessionAction] = []
            manager.hold(packet: packet, for: link, now: now, into: &actions)
            return run(actions, from: from)
        case .viaCircuit:
            // No session-level harness routes through circuits (`CircuitNodeTests` do).
            return []
        case .drop(let reason):
            dropped.append(reason)
            return []
        }
    }
}

extension SessionHarness {
    /// Encrypts a packet at node `from` as the send path would, without delivering it: a
    /// datagram "in flight" that a test delivers later.
    func seal(_ packet: [UInt8], from: Int) -> (datagram: [UInt8], to: Int)? {
        var buffer = [UInt8](repeating: 0, count: DataPath.payloadOffset + packet.count + TransportHeader.tagByteCount)
        buffer.replaceSubrange(DataPath.payloadOffset..<DataPath.payloadOffset + packet.count, with: packet)
        let snapshot = nodes[from].manager.snapshot(now: now.instant)
        let verdict = buffer.withUnsafeMutableBytes { DataPath.outbound($0, count: packet.count, snapshot: snapshot, now: now.instant) }
        guard case .send(let offset, let length, let endpoint, _) = verdict, let to = nodes.firstIndex(where: { $0.endpoint == endpoint }) else {
            return nil
        }
        return (Array(buffer[offset..<offset + length]), to)
    }

    /// Two nodes that both list each other and start at the same moment.
    static func crossingPair() -> SessionHarness {
        let h = SessionHarness()
        h.addNode("alice", host: 1)
        h.addNode("bob", host: 2, staticPeers: [0])
        h.nodes[0] = Node(
            name: "alice", manager: SessionManager(identity: SigningKey(seed: SecretBytes(copying: h.seeds[0])),
                                                   certificate: h.nodes[0].certificate, authority: h.ca.certificate,
                                                   peers: [PeerConfig(publicKey: h.nodes[1].certificate.publicKey, endpoint: h.nodes[1].endpoint)],
                                                   blocklist: [], random: SeededRandom(seed: 77)),
            endpoint: h.nodes[0].endpoint, certificate: h.nodes[0].certificate)
        var fromAlice: [SessionAction] = [], fromBob: [SessionAction] = []
        h.nodes[0].manager.start(now: h.now, into: &fromAlice)
        h.nodes[1].manager.start(now: h.now, into: &fromBob)
        h.cross(fromAlice, fromBob)
        return h
    }

    /// Delivers node 0's and node 1's initiations to each other before either response.
    func cross(_ fromAlice: [SessionAction], _ fromBob: [SessionAction]) {
        let aliceInits = fromAlice.compactMap { if case .send(let b, _) = $0, b[0] == 1 { b } else { nil } }
        let bobInits = fromBob.compactMap { if case .send(let b, _) = $0, b[0] == 1 { b } else { nil } }
        var bobReplies: [SessionAction] = [], aliceReplies: [SessionAction] = []
        for i in aliceInits { bobReplies += receive(i, at: 1, from: nodes[0].endpoint).0 }
        for i in bobInits { aliceReplies += receive(i, at: 0, from: nodes[1].endpoint).0 }
        run(bobReplies, from: 1)
        run(aliceReplies, from: 0)
    }
}

/// A minimal IPv4 packet (header only plus payload) from `source` to `destination`.
func ipv4Packet(from source: IPv4Address, to destination: IPv4Address, payload: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
    let total = 20 + payload.count
    var p: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 1, 0, 0]
    p += source.bytes + destination.bytes
    return p + payload
}
