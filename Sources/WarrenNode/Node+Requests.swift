import WarrenCrypto
import WarrenPKI
import WarrenSession
public import WarrenWire

/// Control requests: `status` is answered at once, the others when their work ends.
extension Node {
    func handle(_ request: NodeRequest, id: RequestID, now: Moment, into actions: inout [SessionAction]) {
        switch request {
        case .status: effects.append(.reply(id, .status(status(now: now))))
        case .lookup(let address): startLookup(address, for: id, now: now, into: &actions)
        case .ping(let target, let count): startPing(target, count: count, for: id, now: now, into: &actions)
        case .netcheck: startNetCheck(for: id, now: now, into: &actions)
        case .circuits: effects.append(.reply(id, .circuits(circuitsReport(now: now))))
        case .renewCircuits:
            if let pool = circuitPool {
                pool.renew(now: now.instant)
                circuitTimers(now: now, into: &actions)
            }
            effects.append(.reply(id, .circuits(circuitsReport(now: now))))
        }
    }

    public func status(now: Moment) -> StatusReport {
        let body = certificate.body
        var dropCounts: [String: UInt64] = [:]
        for reason in DropReason.allCases where drops[reason] > 0 { dropCounts[reason.description] = drops[reason] }
        return StatusReport(name: certificate.name, publicKey: KeyText.publicKey(certificate.publicKey),
                            interface: settings.interfaceName,
                            addresses: [body.ipv4.description] + (settings.overlayIPv6 ? [body.ipv6.description] : []),
                            ipv6Disabled: !settings.overlayIPv6, listenPort: settings.listenPort,
                            peers: manager.status(now: now.instant, localNetworks: hostAddresses.networks),
                            refusals: manager.recentRefusals, drops: dropCounts, dht: dhtStatus(), relay: relayStatus())
    }

    /// A peer as `status` shows it, its path named.
    func peerStatus(_ publicKey: Key32, now: Moment) -> PeerStatus? {
        manager.status(of: publicKey, now: now.instant, localNetworks: hostAddresses.networks)
    }
}
