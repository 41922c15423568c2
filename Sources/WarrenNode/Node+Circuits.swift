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
                circuitRelay = CircuitRelay(own: certificate.publicKey, onionKeys: OnionKeyRing(now: now.unixSeconds, random: &random),
                                            random: random.split())
                manager.reserveAnonymousPorts(AnonymousNAT.ports)
            } else {
                log(.warning, "not relaying circuits: this node's certificate has no relay role")
            }
        }
        if !settings.circuits.routes.isEmpty {
            circuitPool = CircuitPool(hops: settings.circuits.hops, guards: GuardSet(), random: random.split())
        }
    }

    func circuitTimers(now: Moment, into actions: inout [SessionAction]) {
        guard wantsDirectory else { return }
        directoryTimers(now: now, into: &actions)
        circuitRelay?.expire(now: now.instant)
        anonymousNAT.expire(now: now.instant)
        guard let pool = circuitPool else { return }
        var events: [CircuitPool.Event] = []
        // Hops come from the directory only once enough sources gave their lists.
        let relays = relayDirectory.isComplete ? relayDirectory.relays(now: now.unixSeconds) : []
        pool.maintain(relays: relays, excluding: [certificate.publicKey], now: now, into: &events)
        perform(events, now: now, into: &actions)
    }

    /// A circuit message from a neighbour: for one of this node's own circuits, or for the
    /// circuits it relays.
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
        var relayActions: [CircuitRelay.Action] = []
        relay.handle(message, from: link.publicKey, now: now.instant, into: &relayActions)
        perform(relayActions, now: now, into: &actions)
    }

    /// A packet for a route through circuits, from the TUN device.
    func sendThroughCircuit(_ packet: [UInt8], now: Moment, into actions: inout [SessionAction]) {
        guard let pool = circuitPool, var flow = IPv4Flow(of: packet) else {
            drops.count(.circuitRefused)
            return
        }
        let destination = flow.destination
        flow.source = Self.anonymousSource
        var anonymous = packet
        flow.write(into: &anonymous)
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
            }
        }
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
            case .guardUnreliable(let node, let rate):
                log(.warning, "guard fails many circuit builds", [.peer: KeyText.publicKey(node),
                                                                  .reason: "\(Int(rate * 100))% of builds succeed"])
            case .noPath(let relays):
                log(.warning, "no circuit path: too few relays in distinct networks and families", [.count: "\(relays) relays listed"])
            case .received(var packet):
                // Only from a destination this node routes through circuits: a last hop
                // must not pass off packets from any other member.
                guard var flow = IPv4Flow(of: packet), settings.circuits.routes.contains(where: { $0.contains(.v4(flow.source)) }),
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
