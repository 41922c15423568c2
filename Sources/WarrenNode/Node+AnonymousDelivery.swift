import WarrenCircuit
import WarrenPKI
import WarrenSession
import WarrenWire

/// The far end of a circuit. Its last hop translates each packet to leave from its own
/// address (`AnonymousNAT`) and hands it to the destination over their session
/// (`AnonymousDelivery`), finding the destination in the DHT like any other peer; the
/// destination takes it only with `circuits.accept_anonymous`; its answers come back to the
/// last hop as ordinary packets, which its receive path hands over (`circuitAnswer`) to be
/// mapped back into their circuit. Only destinations in the mesh: exits come later.
extension Node {
    /// As a circuit's last hop: a packet that left its circuit here.
    func deliverAnonymously(_ padded: [UInt8], from circuit: CircuitRelay.Link, now: Moment, into actions: inout [SessionAction]) {
        guard let token = attachedTokens[circuit], var translated = CircuitPadding.unpadded(padded),
              case .v4(let own) = certificate.body.ipv4.address, let flow = IPv4Flow(of: translated), flow.destination != own,
              authority.body.ipv4.network.contains(.v4(flow.destination)),
              let destination = anonymousNAT.outbound(&translated, token: token, own: own, now: now.instant, random: &random) else {
            drops.count(.circuitRefused)
            return
        }
        let message = AnonymousDelivery.encode(translated)
        if let link = manager.owner(of: .v4(destination)) {
            manager.hold(packet: message, for: link, now: now, into: &actions)
        } else {
            resolve(destination, packet: message, now: now, into: &actions)
        }
    }

    /// As a circuit's last hop: what the inbound thread took off `circuit` and left to this
    /// thread (`CircuitEnds`).
    func leftCircuit(_ payload: [UInt8], on circuit: CircuitRelay.Link, now: Moment, into actions: inout [SessionAction]) {
        guard let relay = circuitRelay else { return }
        guard CircuitCommand.isCommand(payload) else { return deliverAnonymously(payload, from: circuit, now: now, into: &actions) }
        let relayActions = relay.decide { $0.command(payload, on: circuit, now: now.instant, into: &$1) }
        perform(relayActions, now: now, into: &actions)
    }

    /// Gives the inbound packet thread the circuits that end here, with their tokens and
    /// translations, when any of them changed.
    func publishCircuitEnds(into actions: inout [NodeAction]) {
        guard let relay = circuitRelay, case .v4(let own) = certificate.body.ipv4.address else { return }
        let versions = (switch: relay.withRelay(\.switchVersion), translations: anonymousNAT.version, attached: attachVersion)
        guard versions != publishedEndsVersions else { return }
        publishedEndsVersions = versions
        var ends = CircuitEnds(translations: anonymousNAT, ownAddress: own, network: authority.body.ipv4.network,
                               padding: settings.circuits.padding)
        let attached = attachedTokens
        let hops = relay.withRelay { relay in attached.compactMap { circuit, token in relay.lastHop(of: circuit).map { (circuit, $0, token) } } }
        for (circuit, hop, token) in hops { ends.add(circuit, hop: hop, token: token) }
        actions.append(.publishCircuitEnds(ends))
    }

    /// As a circuit's last hop: an answer to a flow it translated, from the receive path.
    func handleCircuitAnswer(_ packet: [UInt8], now: Moment, into actions: inout [SessionAction]) {
        var answer = packet
        guard let relay = circuitRelay, let token = anonymousNAT.inbound(&answer, now: now.instant), let circuit = tokenCircuits[token],
              let action = relay.withRelay({ [answer] in $0.reply(answer, on: circuit, now: now.instant) }) else {
            drops.count(.circuitRefused)
            return
        }
        perform([action], now: now, into: &actions)
    }

    /// As a circuit's last hop: the sender's flows of `token` go on `circuit` from now on.
    func attach(_ token: UInt128, to circuit: CircuitRelay.Link) {
        if let previous = tokenCircuits[token] { attachedTokens[previous] = nil }
        if let replaced = attachedTokens[circuit] { tokenCircuits[replaced] = nil }
        attachedTokens[circuit] = token
        tokenCircuits[token] = circuit
    }

    /// Forgets the tokens of circuits the relay no longer holds as their last hop.
    func detachGone(from relay: LockedCircuitRelay) {
        guard !attachedTokens.isEmpty else { return }
        let attached = attachedTokens
        let gone = relay.withRelay { relay in attached.filter { !relay.isLastHop(of: $0.key) } }
        for (circuit, token) in gone {
            attachedTokens[circuit] = nil
            tokenCircuits[token] = nil
        }
    }

    /// As a destination: a packet a circuit's last hop delivered. Only a relay is a last hop
    /// (any other member would pass its own traffic off as a stranger's), and the packet must
    /// come from its own address (answers go back there) to this node's.
    func handleAnonymousDelivery(_ bytes: [UInt8], from link: PeerLink) {
        guard settings.circuits.acceptAnonymous, link.certificate.body.roles.contains(.relay) else {
            drops.count(.circuitRefused)
            return
        }
        guard let packet = AnonymousDelivery.packet(in: bytes), let flow = IPv4Flow(of: packet),
              case .v4(let own) = certificate.body.ipv4.address, flow.destination == own,
              case .v4(let lastHop) = link.certificate.body.ipv4.address, flow.source == lastHop else {
            drops.count(.malformed)
            return
        }
        effects.append(.writeTUN(packet))
    }
}
