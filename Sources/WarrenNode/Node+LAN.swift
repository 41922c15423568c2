import WarrenNAT
import WarrenPKI
import WarrenSession
import WarrenWire

/// LAN discovery: every few seconds the node announces itself on each of its IPv4 networks
/// and on each link where it has an IPv6 address others can reach (`LANBeacon`), and members
/// it hears become reachable at their LAN addresses, with no DHT, no bootstrap node and no
/// trip through a NAT that may not hairpin.
extension Node {
    static let beaconInterval: Duration = .seconds(10)
    /// The first beacons go sooner: just after start a link may not carry them yet (IPv6
    /// duplicate address detection holds back the node's MLD report, and a snooping switch
    /// forwards a group only to ports it has heard join).
    static let startupBeacons = 3
    static let startupBeaconInterval: Duration = .seconds(2)
    /// Beacons a source address may make this node look at: per second, and in a burst.
    static let beaconsPerSecond = 1.0
    static let beaconBurst = 5.0

    func beaconTimers(now: Moment) {
        guard settings.lanBeacons, now.instant >= nextBeacon else { return }
        beaconsSent += 1
        nextBeacon = now.instant + (beaconsSent < Self.startupBeacons ? Self.startupBeaconInterval : Self.beaconInterval)
        var links: [BeaconLink] = []
        for case .v4(let address) in hostAddresses.addresses { links.append(.ipv4(address)) }
        if settings.dualStack {
            for link in hostAddresses.ipv6Links { links.append(.ipv6(interfaceIndex: link.interfaceIndex, address: link.address)) }
        }
        for link in links {
            effects.append(.joinBeaconGroup(link))
            effects.append(.sendBeacon(signedBeacon(now: now), on: link))
        }
    }

    /// A beacon signed now, with a time stamp later than the last one's: a receiver believes
    /// only growing time stamps, and may hear this node on several links at once.
    private func signedBeacon(now: Moment) -> [UInt8] {
        lastBeaconMilliseconds = max(now.unixNanoseconds / 1_000_000, lastBeaconMilliseconds + 1)
        return LANBeacon(port: settings.listenPort, unixMilliseconds: lastBeaconMilliseconds, certificate: certificate.encoded,
                         signedBy: recordSigner).encoded
    }

    /// A datagram from the beacon socket: `LANBeaconGate` decides what is believed, the
    /// session manager what a believed beacon may change.
    func handleBeacon(_ bytes: [UInt8], arrival: LANBeaconGate.Arrival, now: Moment) {
        guard beaconLimits.allow(arrival.source.address, now: now.instant) else {
            drops.count(.rateLimited)
            return
        }
        guard bytes.count <= LANBeacon.maxByteCount else {
            drops.count(.malformed)
            return
        }
        do {
            let beacon = try beaconGate.accept(bytes, arrival: arrival, now: now)
            // Refused like a handshake would be: blocklisted, or at an address no message may name.
            if manager.seenOnLAN(certificate: beacon.certificate.unchecked, at: beacon.endpoint, now: now) == nil {
                drops.count(.authenticationFailed)
            }
        } catch {
            if let reason = Self.dropReason(error) { drops.count(reason) }
        }
    }

    /// The counter a refused beacon goes to; none for this node's own.
    static func dropReason(_ refusal: LANBeaconRefusal) -> DropReason? {
        switch refusal {
        case .notToGroup, .routed: .unsolicited
        case .malformed: .malformed
        case .own: nil
        case .stale, .replayed: .replayed
        case .certificate, .badSignature: .authenticationFailed
        case .tooManySenders: .rateLimited
        }
    }
}
