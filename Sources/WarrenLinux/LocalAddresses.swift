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
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var found: [IPPrefix] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let raw = entry.pointee.ifa_addr, String(cString: entry.pointee.ifa_name) != excluded,
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
                if let prefix = IPPrefix(address: endpoint.address, length: UInt8(bits)), !found.contains(prefix) { found.append(prefix) }
            }
        }
        return found
    }
}
