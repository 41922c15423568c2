import WarrenLinux
import WarrenNode

extension HostAddresses {
    /// The host's addresses, networks and IPv6 links now, leaving out the overlay's
    /// interface.
    static func read(excludingInterface interface: String) -> HostAddresses {
        HostAddresses(
            addresses: LocalAddresses.list(excludingInterface: interface),
            networks: LocalAddresses.networks(excludingInterface: interface),
            ipv6Links: LocalAddresses.ipv6Interfaces(excludingInterface: interface).map {
                HostAddresses.IPv6Link(interfaceIndex: $0.index, address: $0.address)
            })
    }
}
