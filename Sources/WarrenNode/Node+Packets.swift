import WarrenCircuit
import WarrenCrypto
import WarrenNAT
import WarrenSession
import WarrenWire

/// What the packet threads hand over: handshakes, first packets, notices and control
/// messages from peers, STUN, and packets to addresses no peer owns yet.
extension Node {
    func handle(_ event: ControlEvent, now: Moment, into actions: inout [SessionAction]) {
        switch event {
        case .handshake(let bytes, let path):
            if let reason = manager.handleHandshake(bytes, from: path, now: now, into: &actions) { drops.count(reason) }
        case .hold(let packet, let link):
            manager.hold(packet: packet, for: link, now: now, into: &actions)
        case .confirmed(let keypair):
            manager.confirmed(keypair, now: now, into: &actions)
        case .roamed(let link, let endpoint):
            if manager.roamed(link, to: endpoint, now: now.instant) {
                log(.info, "peer moved", [.peer: link.name, .endpoint: endpoint.description])
            }
        case .control(let bytes, let link, let path):
            handleControl(bytes, from: link, path: path, now: now, into: &actions)
        case .unroutable(let address, let packet):
            resolve(address, packet: packet, now: now, into: &actions)
        case .viaCircuit(let packet):
            sendThroughCircuit(packet, now: now, into: &actions)
        case .circuitCommand(let command, let circuit):
            circuitPool?.heard(command, on: circuit, now: now.instant)
        case .leftCircuit(let payload, let circuit):
            leftCircuit(payload, on: circuit, now: now, into: &actions)
        case .relayActions(let relayActions):
            perform(relayActions, now: now, into: &actions)
        case .circuitAnswer(let packet, _):
            handleCircuitAnswer(packet, now: now, into: &actions)
        case .stun(let bytes, let source):
            handleSTUN(bytes, from: source, now: now, into: &actions)
        }
    }

    /// A control message from an authenticated peer, by its kind byte.
    func handleControl(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        switch bytes.first {
        case PunchMessage.controlKind: handlePunch(bytes, from: link, path: path, now: now, into: &actions)
        case PathProbe.controlKind: handleProbe(bytes, from: link, path: path, now: now, into: &actions)
        case RelayMessage.controlKind: handleRelay(bytes, from: link, path: path, now: now, into: &actions)
        case CircuitMessage.controlKind: handleCircuit(bytes, from: link, now: now, into: &actions)
        case DirectoryMessage.controlKind: handleDirectory(bytes, from: link, now: now, into: &actions)
        case AnonymousDelivery.controlKind: handleAnonymousDelivery(bytes, from: link)
        default: handleDHT(bytes, from: link, path: path, now: now, into: &actions)
        }
    }

    /// Whether a punch or relay message that decoded is acted on: only over a direct path,
    /// and within the member's rate (a message beyond it is counted).
    func admitsDirect(from link: PeerLink, path: Path, limits: inout KeyedRateLimiter<Key32>, now: Moment) -> Bool {
        guard !path.isRelayed else { return false }
        guard limits.allow(link.publicKey, now: now.instant) else {
            drops.count(.rateLimited)
            return false
        }
        return true
    }

    /// Answers packets whose destination could not be found with ICMP "unreachable", so the
    /// sender learns at once instead of after a timeout.
    func unreachable(_ packets: [[UInt8]]) {
        drops.count(.noRoute, times: UInt64(packets.count))
        for packet in packets {
            guard let reply = ICMPError.reply(.unreachable, to: packet) else { continue }
            effects.append(.writeTUN(reply))
        }
    }
}
