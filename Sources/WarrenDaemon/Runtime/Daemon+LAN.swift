import Logging
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// LAN beacons' I/O: the socket they arrive on, the groups it joins and the multicast sends.
/// What goes out when, and what is believed, is the node's (`Node+LAN`).
extension Daemon {
    /// Beacons read per wake-up of the control thread, so a flood cannot hold it.
    static let beaconsPerWakeup = 32

    /// The socket beacons arrive on, when they are on; a node that cannot open it (the port
    /// taken by a program without SO_REUSEADDR) runs on without hearing them.
    static func openBeaconSocket(config: Config, family: UDPSocket.Family, logger: Logger) -> MulticastSocket? {
        guard config.lanBeacons else { return nil }
        do {
            return try MulticastSocket(port: LANBeacon.port, family: family)
        } catch {
            logger.warning("not listening for LAN beacons", metadata: .init([.reason: "\(error)"]))
            return nil
        }
    }

    /// Reads what the beacon socket holds, for the node to judge.
    func receiveBeacons(into actions: inout [NodeAction]) {
        guard let beaconSocket else { return }
        // One byte more than the largest beacon, so a longer datagram shows as one.
        var buffer = [UInt8](repeating: 0, count: LANBeacon.maxByteCount + 1)
        for _ in 0..<Self.beaconsPerWakeup {
            let received = buffer.withUnsafeMutableBytes { raw in Result { () throws(SystemError) in try beaconSocket.receive(into: raw) } }
            guard case .success(let arrival?) = received else { return }
            let heard = LANBeaconGate.Arrival(source: arrival.source, destination: arrival.destination, hopLimit: arrival.hopLimit)
            node.handle(.beacon(Array(buffer.prefix(arrival.byteCount)), arrival: heard), now: Self.moment(), into: &actions)
        }
    }

    /// Joins the beacon group on a link, once it worked.
    func joinBeaconGroup(on link: BeaconLink) {
        guard let beaconSocket else { return }
        do {
            switch link {
            case .ipv4(let address):
                guard !beaconNetworks.contains(address) else { return }
                try beaconSocket.join(LANBeacon.group, interfaceAddress: address)
                beaconNetworks.insert(address)
            case .ipv6(let index, _):
                guard !beaconInterfacesIPv6.contains(index) else { return }
                try beaconSocket.join(LANBeacon.groupIPv6, interfaceIndex: index)
                beaconInterfacesIPv6.insert(index)
            }
        } catch {
            logger.debug("cannot listen for LAN beacons", metadata: .init([.address: "\(link)", .reason: "\(error)"]))
        }
    }

    /// A failure (an interface going down) is retried with the next beacon.
    func sendBeacon(_ bytes: [UInt8], on link: BeaconLink) {
        switch link {
        case .ipv4(let address):
            try? UDPSocket.sendMulticast(bytes, to: LANBeacon.group, port: LANBeacon.port, from: address)
        case .ipv6(let index, let address):
            try? UDPSocket.sendMulticast(bytes, to: LANBeacon.groupIPv6, port: LANBeacon.port, interfaceIndex: index, from: address)
        }
    }
}
