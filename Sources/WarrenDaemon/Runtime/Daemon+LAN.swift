import Logging
import WarrenLinux
import WarrenNAT
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

    func lanTimers(now: Moment) {
        guard config.lanBeacons, now.instant >= nextBeacon else { return }
        beaconsSent += 1
        nextBeacon = now.instant + (beaconsSent < Self.startupBeacons ? Self.startupBeaconInterval : Self.beaconInterval)
        let beacon = LANBeacon(port: socket.localPort, certificate: certificate.encoded).encoded
        for case .v4(let address) in LocalAddresses.list(excludingInterface: tun.name) {
            if !beaconNetworks.contains(address) {
                do {
                    try socket.joinMulticast(LANBeacon.group, interfaceAddress: address)
                    beaconNetworks.insert(address)
                } catch {
                    logger.debug("cannot listen for LAN beacons", metadata: ["address": "\(address)", "reason": "\(error)"])
                }
            }
            // A failure here (an interface going down) is retried with the next beacon.
            try? UDPSocket.sendMulticast(beacon, to: LANBeacon.group, port: socket.localPort, from: address)
        }
        guard socket.family == .dualStack else { return }
        for (index, address) in LocalAddresses.ipv6Interfaces(excludingInterface: tun.name) {
            if !beaconInterfacesIPv6.contains(index) {
                do {
                    try socket.joinMulticast(LANBeacon.groupIPv6, interfaceIndex: index)
                    beaconInterfacesIPv6.insert(index)
                } catch {
                    logger.debug("cannot listen for IPv6 LAN beacons", metadata: ["address": "\(address)", "reason": "\(error)"])
                }
            }
            try? UDPSocket.sendMulticast(beacon, to: LANBeacon.groupIPv6, port: socket.localPort, interfaceIndex: index, from: address)
        }
    }

    func handleBeacon(_ bytes: [UInt8], from source: Endpoint, now: Moment) {
        guard config.lanBeacons else {
            drops.count(.unknownType)
            return
        }
        guard beaconLimits.allow(source.address, now: now.instant) else {
            drops.count(.rateLimited)
            return
        }
        guard let beacon = try? LANBeacon(parsing: bytes), let unchecked = try? UncheckedCertificate(parsing: beacon.certificate) else {
            drops.count(.malformed)
            return
        }
        guard unchecked.body.publicKey != certificate.publicKey else { return }
        let endpoint = Endpoint(address: source.address, port: beacon.port)
        // Refused like a handshake would be: another CA, blocklisted, expired.
        if manager.seenOnLAN(certificate: unchecked, at: endpoint, now: now) == nil { drops.count(.authenticationFailed) }
    }
}
