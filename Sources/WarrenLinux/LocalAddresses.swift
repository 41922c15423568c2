import Glibc
public import WarrenWire

/// The host's own unicast addresses (getifaddrs), to advertise as endpoint candidates in the
/// node's DHT record: loopback, link-local and the overlay interface itself are left out,
/// since no other node could reach us there.
public enum LocalAddresses {
    public static func list(excludingInterface excluded: String) -> [IPAddress] {
        var found: [IPAddress] = []
        for prefix in networks(excludingInterface: excluded) where !found.contains(prefix.address) { found.append(prefix.address) }
        return found
    }

    /// The same addresses with their networks' prefix lengths: what is reachable without a
    /// router (`warren status` calls a peer there "LAN").
    public static func networks(excludingInterface excluded: String) -> [IPPrefix] {
        var found: [IPPrefix] = []
        for entry in entries(excludingInterface: excluded) where !found.contains(entry.prefix) { found.append(entry.prefix) }
        return found
    }

    /// Per interface with an IPv6 address others on its link can reach without a scope (a
    /// global or unique local one), its index and its first such address: where IPv6 LAN
    /// beacons go out and are listened for.
    public static func ipv6Interfaces(excludingInterface excluded: String) -> [(index: UInt32, address: IPv6Address)] {
        var found: [(index: UInt32, address: IPv6Address)] = []
        for entry in entries(excludingInterface: excluded) {
            guard case .v6(let address) = entry.prefix.address else { continue }
            let index = if_nametoindex(entry.interface)
            guard index != 0, !found.contains(where: { $0.index == index }) else { continue }
            found.append((index, address))
        }
        return found
    }

    private static func entries(excludingInterface excluded: String) -> [(prefix: IPPrefix, interface: String)] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var found: [(prefix: IPPrefix, interface: String)] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            let name = String(cString: entry.pointee.ifa_name)
            guard let raw = entry.pointee.ifa_addr, name != excluded,
                  entry.pointee.ifa_flags & UInt32(IFF_UP) != 0,
                  entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            let length = Int32(raw.pointee.sa_family) == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
            guard let endpoint = SocketAddress.endpoint(from: UnsafeRawPointer(raw), length: length) else { continue }
            switch endpoint.address {
            case .v4(let a) where a.value >> 24 == 127 || a.value >> 16 == 0xa9fe:
                continue   // loopback, 169.254/16 link-local
            case .v6(let a) where a.high >> 54 == 0x3fa:
                continue   // fe80::/10 link-local
            default:
                let mask = entry.pointee.ifa_netmask.flatMap { SocketAddress.endpoint(from: UnsafeRawPointer($0), length: length) }
                let bits = mask.map { $0.address.bytes.reduce(0) { $0 + $1.nonzeroBitCount } } ?? (endpoint.address.isIPv4 ? 32 : 128)
                if let prefix = IPPrefix(address: endpoint.address, length: UInt8(bits)) { found.append((prefix, name)) }
            }
        }
        return found
    }
}
