import WarrenCircuit
import WarrenCrypto
import WarrenPKI
import WarrenSession
import WarrenWire

/// Onion circuits. As a relay (its certificate has the relay role and `circuits.relay` is
/// set) this node answers creates to its onion keys and passes circuit messages between
/// neighbours (`CircuitRelay`). As a sender (it has routes `via = "circuit"`) it keeps a
/// circuit in use and a spare (`CircuitPool`), sends the packets of those routes through
/// them from 0.0.0.0 (its own address never enters a circuit) and writes what comes back,
/// addressed to it again, into the TUN device.
extension Node {
    /// The address a sender's packets carry inside a circuit instead of its own.
    static let anonymousSource = IPv4Address(0)

    func startCircuits(now: Moment) {
        if settings.circuits.relay {
            if isRelay {
                let relay = CircuitRelay(own: certificate.publicKey, onionKeys: OnionKeyRing(now: now.unixSeconds, random: &random),
                                         random: random.split())
                relay.padding = settings.circuits.padding
                let shared = LockedCircuitRelay(relay)
                circuitRelay = shared
                effects.append(.publishCircuitRelay(shared))
                manager.reserveAnonymousPorts(AnonymousNAT.ports)
            } else {
                log(.warning, "not relaying circuits: this node's certificate has no relay role")
            }
        }
        if settings.circuits.acceptAnonymous { manager.acceptAnonymousDeliveries() }
        if !settings.circuits.routes.isEmpty {
            circuitPool = CircuitPool(hops: settings.circuits.hops, guards: settings.circuits.guards, random: random.split())
            manager.routeThroughCircuits(settings.circuits.routes)
        }
        if wantsDirectory { restoreDirectory(now: now) }
    }

    func circuitTimers(now: Moment, into actions: inout [SessionAction]) {
        guard wantsDirectory else { return }
        directoryTimers(now: now, into: &actions)
        if let relay = circuitRelay {
            relay.withRelay { $0.expire(now: now.instant) }
            anonymousNAT.expire(now: now.instant)
            detachGone(from: relay)
        }
        guard let pool = circuitPool else { return }
        var events: [CircuitPool.Event] = []
        // Hops come from the directory only once enough sources gave their lists.
        let relays = directoryReady && relayDirectory.isComplete ? relayDirectory.relays(now: now.unixSeconds) : []
        pool.maintain(relays: relays, excluding: [certificate.publicKey], now: now, into: &events)
        perform(events, now: now, into: &actions)
        if pool.guards != savedGuards {
            savedGuards = pool.guards
            effects.append(.saveGuards(pool.guards))
        }
    }

    /// Gives the packet threads this sender's circuits and the flows on them, when they changed.
    func publishCircuitSending(into actions: inout [NodeAction]) {
        guard let pool = circuitPool, pool.sendingVersion != publishedSendingVersion,
              case .v4(let own) = certificate.body.ipv4.address else { return }
        publishedSendingVersion = pool.sendingVersion
        actions.append(.publishCircuitSending(pool.sending(padding: settings.circuits.padding, ownAddress: own)))
    }

    /// A circuit message from a neighbour: for one of this node's own circuits, or for the
    /// circuits it relays (those the inbound thread did not take: `LockedCircuitRelay`).
    func handleCircuit(_ bytes: [UInt8], from link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        guard let message = try? CircuitMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        if let pool = circuitPool {
            var events: [CircuitPool.Event] = []
            let ours = pool.handle(message, from: link.publicKey, now: now, into: &events)
            perform(events, now: now, into: &actions)
            if ours { return }
        }
        guard let relay = circuitRelay else {
            drops.count(.circuitRefused)
            return
        }
        let relayActions = relay.decide { $0.handle(message, from: link.publicKey, now: now.instant, into: &$1) }
        perform(relayActions, now: now, into: &actions)
    }

    /// A packet for a route through circuits, from the TUN device.
    func sendThroughCircuit(_ packet: [UInt8], now: Moment, into actions: inout [SessionAction]) {
        guard packet.count <= CircuitMessage.circuitMTU else {
            // Written back into the TUN device, so TCP inside lowers its segment size at once.
            drops.count(.circuitRefused)
            if let tooBig = ICMPError.reply(.tooBig(mtu: UInt16(CircuitMessage.circuitMTU)), to: packet) { effects.append(.writeTUN(tooBig)) }
            return
        }
        guard let pool = circuitPool, var flow = IPv4Flow(of: packet) else {
            drops.count(.circuitRefused)
            return
        }
        let destination = flow.destination
        flow.source = Self.anonymousSource
        var anonymous = packet
        flow.write(into: &anonymous)
        settings.circuits.padding.pad(&anonymous, mtu: CircuitMessage.circuitMTU)
        guard let (message, guardNode) = pool.seal(anonymous, flow: flow.hashValue, avoiding: destination, now: now.instant) else {
            circuitBacklog.enqueue(packet, for: destination)
            return
        }
        send(message, to: guardNode, now: now, into: &actions)
    }

    /// Sends a circuit message to a neighbour, opening a session to it where its descriptor
    /// says it listens if there is none yet.
    func send(_ message: CircuitMessage, to neighbour: Key32, now: Moment, into actions: inout [SessionAction]) {
        manager.sendControl(message.encoded, to: neighbour, endpoint: relayDirectory.endpoints(of: neighbour).first, now: now,
                            into: &actions)
    }

    /// Carries out what the relay decided: messages to neighbours, packets that leave the
    /// circuit here.
    func perform(_ relayActions: [CircuitRelay.Action], now: Moment, into actions: inout [SessionAction]) {
        for action in relayActions {
            switch action {
            case .send(let message, let neighbour):
                send(message, to: neighbour, now: now, into: &actions)
            case .leave(let packet, let circuit):
                deliverAnonymously(packet, from: circuit, now: now, into: &actions)
            case .attach(let token, let circuit):
                attach(token, to: circuit)
            }
        }
    }

    /// A session this node's circuits may go through was lost: circuits whose guard it was
    /// are replaced through another.
    func circuitPeerLost(_ publicKey: Key32, now: Moment, into actions: inout [SessionAction]) {
        guard let pool = circuitPool, pool.circuits.keys.contains(where: { $0.peer == publicKey }) else { return }
        var events: [CircuitPool.Event] = []
        pool.lost(publicKey, relays: relayDirectory.relays(now: now.unixSeconds), excluding: [certificate.publicKey], now: now,
                  into: &events)
        perform(events, now: now, into: &actions)
    }

    /// Carries out what the pool decided.
    func perform(_ events: [CircuitPool.Event], now: Moment, into actions: inout [SessionAction]) {
        for event in events {
            switch event {
            case .send(let message, let guardNode):
                send(message, to: guardNode, now: now, into: &actions)
            case .built(let path, let took):
                log(.info, "circuit built", [.count: "\(path.count) hops", .duration: "\(took.nanosecondsValue / 1_000_000) ms"])
                for packet in circuitBacklog.takeAll() { sendThroughCircuit(packet, now: now, into: &actions) }
            case .buildFailed(let error, let path):
                log(.info, "circuit build failed", [.count: "\(path.count) hops", .reason: "\(error)"])
            case .lost(let path):
                log(.info, "circuit lost a hop, replacing it", [.count: "\(path.count) hops"])
            case .guardUnreliable(let node, let rate):
                log(.warning, "guard fails many circuit builds", [.peer: KeyText.publicKey(node),
                                                                  .reason: "\(Int(rate * 100))% of builds succeed"])
            case .noPath(let relays):
                log(.warning, "no circuit path: too few relays in distinct networks and families", [.count: "\(relays) relays listed"])
            case .received(let padded):
                // Only from a destination this node routes through circuits: a last hop
                // must not pass off packets from any other member.
                guard var packet = CircuitPadding.unpadded(padded), var flow = IPv4Flow(of: packet), settings.circuits.routes.contains(where: { $0.contains(.v4(flow.source)) }),
                      case .v4(let own) = certificate.body.ipv4.address else {
                    drops.count(.circuitRefused)
                    continue
                }
                flow.destination = own
                flow.write(into: &packet)
                effects.append(.writeTUN(packet))
            }
        }
    }
}

extension Node {
    /// `warren circuits`: this node's own circuits, and counts of what it relays.
    func circuitsReport(now: Moment) -> CircuitsReport {
        let relays = relayDirectory.relays(now: now.unixSeconds)
        let names = Dictionary(relays.map { ($0.node, $0.name) }, uniquingKeysWith: { first, _ in first })
        var circuits: [CircuitsReport.Circuit] = []
        var guardName: String?
        if let pool = circuitPool {
            let inUse = pool.newest(now: now.instant)?.link
            let flows = pool.flowCounts
            for circuit in pool.circuits.values.sorted(by: { $0.builtAt > $1.builtAt }) {
                let roles = ["guard"] + Array(repeating: "middle", count: max(circuit.path.count - 2, 0)) + (circuit.path.count > 1 ? ["last"] : [])
                let age = now.instant.since(circuit.builtAt)
                circuits.append(CircuitsReport.Circuit(
                    hops: zip(circuit.path, roles).map { CircuitsReport.Hop(name: $0.name, role: $1, publicKey: KeyText.publicKey($0.node)) },
                    state: circuit.link == inUse ? "in use" : pool.isFresh(circuit, now: now.instant) ? "spare" : "draining",
                    ageSeconds: Int(age.nanosecondsValue / 1_000_000_000),
                    buildMilliseconds: Double(circuit.buildTime.nanosecondsValue) / 1e6,
                    roundTripMilliseconds: Double(circuit.roundTrip.nanosecondsValue) / 1e6,
                    flows: flows[circuit.link, default: 0], sentBytes: circuit.bytesSent, receivedBytes: circuit.bytesReceived))
            }
            let listed = Set(relays.map(\.node))
            guardName = pool.guards.current(listed: listed, now: now.unixSeconds).map { names[$0] ?? KeyText.publicKey($0) }
        }
        let relaying = circuitRelay.map { relay in
            let (count, drops) = relay.withRelay { ($0.circuitCount, $0.drops) }
            return CircuitsReport.Relaying(circuits: count, deliveries: anonymousNAT.count,
                                           drops: Dictionary(uniqueKeysWithValues: drops.map { ("\($0.key)", $0.value) }))
        }
        return CircuitsReport(routes: settings.circuits.routes.map(\.description), hops: settings.circuits.hops,
                              relaysListed: relays.count, directoryComplete: relayDirectory.isComplete, guardName: guardName,
                              building: circuitPool?.buildingCount ?? 0, circuits: circuits, relaying: relaying)
    }
}
