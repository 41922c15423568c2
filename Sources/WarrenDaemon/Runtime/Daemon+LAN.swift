import Logging
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// LAN discovery: every few seconds the node announces itself on each of its IPv4 networks
/// and on each link where it has an IPv6 address others can reach (`LANBeacon`), and members
/// it hears become reachable at their LAN addresses, with no DHT, no bootstrap node and no
/// trip through a NAT that may not hairpin.
extension Daemon {
    static let beaconInterval: Duration = .seconds(10)
    /// The first beacons go sooner: just after start a link may not carry them yet (IPv6
    /// duplicate address detection holds back the node's MLD report, and a snooping switch
    /// forwards a group only to ports it has heard join).
    static let startupBeacons = 3
    static let startupBeaconInterval: Duration = .seconds(2)
    /// Beacons a source address may make this node look at: per second, and in a burst.
    static let beaconsPerSecond = 1.0
    static let beaconBurst = 5.0

    /// Beacons read per wake-up of the control thread, so a flood cannot hold it.
    static let beaconsPerWakeup = 32

    /// The socket beacons arrive on, when they are on; a node that cannot open it (the port
    /// taken by a program without SO_REUSEADDR) runs on without hearing them.
    static func openBeaconSocket(config: Config, family: UDPSocket.Family, logger: Logger) -> MulticastSocket? {
        guard config.lanBeacons else { return nil }
        do {
            return try MulticastSocket(port: LANBeacon.port, family: family)
        } catch {
            logger.warning("not listening for LAN beacons", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    func lanTimers(now: Moment) {
        guard let beaconSocket, now.instant >= nextBeacon else { return }
        beaconsSent += 1
        nextBeacon = now.instant + (beaconsSent < Self.startupBeacons ? Self.startupBeaconInterval : Self.beaconInterval)
        for case .v4(let address) in LocalAddresses.list(excludingInterface: tun.name) {
            if !beaconNetworks.contains(address) {
                do {
                    try beaconSocket.join(LANBeacon.group, interfaceAddress: address)
                    beaconNetworks.insert(address)
                } catch {
                    logger.debug("cannot listen for LAN beacons", metadata: ["address": "\(address)", "reason": "\(error)"])
                }
            }
            // A failure here (an interface going down) is retried with the next beacon.
            try? UDPSocket.sendMulticast(signedBeacon(now: now), to: LANBeacon.group, port: LANBeacon.port, from: address)
        }
        guard socket.family == .dualStack else { return }
        for (index, address) in LocalAddresses.ipv6Interfaces(excludingInterface: tun.name) {
            if !beaconInterfacesIPv6.contains(index) {
                do {
                    try beaconSocket.join(LANBeacon.groupIPv6, interfaceIndex: index)
                    beaconInterfacesIPv6.insert(index)
                } catch {
                    logger.debug("cannot listen for IPv6 LAN beacons", metadata: ["address": "\(address)", "reason": "\(error)"])
                }
            }
            try? UDPSocket.sendMulticast(signedBeacon(now: now), to: LANBeacon.groupIPv6, port: LANBeacon.port, interfaceIndex: index,
                                         from: address)
        }
    }

    /// A beacon signed now, with a time stamp later than the last one's: a receiver believes
    /// only growing time stamps, and may hear this node on several links at once.
    private func signedBeacon(now: Moment) -> [UInt8] {
        lastBeaconMilliseconds = max(now.unixNanoseconds / 1_000_000, lastBeaconMilliseconds + 1)
        return LANBeacon(port: socket.localPort, unixMilliseconds: lastBeaconMilliseconds, certificate: certificate.encoded,
                         signedBy: recordSigner).encoded
    }

    /// Reads what the beacon socket holds; `LANBeaconGate` decides what is believed, the
    /// session manager what a believed beacon may change.
    func receiveBeacons(now: Moment) {
        guard let beaconSocket else { return }
        // One byte more than the largest beacon, so a longer datagram shows as one.
        var buffer = [UInt8](repeating: 0, count: LANBeacon.maxByteCount + 1)
        for _ in 0..<Self.beaconsPerWakeup {
            let received = buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try beaconSocket.receive(into: raw) } }
            guard case .success(let arrival?) = received else { return }
            guard beaconLimits.allow(arrival.source.address, now: now.instant) else {
                drops.count(.rateLimited)
                continue
            }
            guard arrival.byteCount < buffer.count else {
                drops.count(.malformed)
                continue
            }
            let heard = LANBeaconGate.Arrival(source: arrival.source, destination: arrival.destination, hopLimit: arrival.hopLimit)
            do {
                let beacon = try beaconGate.accept(Array(buffer.prefix(arrival.byteCount)), arrival: heard, now: now)
                // Refused like a handshake would be: blocklisted, or at an address no message may name.
                if node.manager.seenOnLAN(certificate: beacon.certificate.unchecked, at: beacon.endpoint, now: now) == nil {
                    drops.count(.authenticationFailed)
                }
            } catch {
                if let reason = Self.dropReason(error) { drops.count(reason) }
            }
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
