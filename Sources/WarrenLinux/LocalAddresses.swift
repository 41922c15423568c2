import Glibc
public import WarrenWire

/// The host's own unicast addresses (getifaddrs), to advertise as endpoint candidates in the
/// node's DHT record: loopback, link-local and the overlay interface itself are left out,
/// since no other node could reach us there.
public enum LocalAddresses {
    public static func list(excludingInterface excluded: String) -> [IPAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var found: [IPAddress] = []
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
                if !found.contains(endpoint.address) { found.append(endpoint.address) }
            }
        }
        return found
    }
}
