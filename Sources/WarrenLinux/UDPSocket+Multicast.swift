import CLinux
import Glibc
public import WarrenWire

/// Multicast on the link, for LAN beacons: a beacon goes out through one interface at a time
/// from a short-lived socket, and `MulticastSocket` receives them. The node's main socket
/// hears no multicast at all (`hearOnlyJoinedGroups`): nothing sent to a group reaches the
/// packet threads. IPv4 and IPv6.
extension UDPSocket {
    /// Turns off IP_MULTICAST_ALL (and IPV6_MULTICAST_ALL, Linux 4.20), which by default let a
    /// socket bound to the wildcard address receive datagrams to any group some other socket
    /// of the host joined on its port. An older kernel without the IPv6 option is no error.
    static func hearOnlyJoinedGroups(_ fd: Int32, family: Family, _ operation: @autoclosure () -> String) throws(SystemError) {
        try setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_ALL, 0, operation())
        guard family == .dualStack else { return }
        do {
            try setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_ALL, 0, operation())
        } catch where error.errno == ENOPROTOOPT {
            return
        }
    }

    /// Sends `bytes` to `group`:`port` out of the interface that has `interfaceAddress`, with
    /// a TTL of 1 (the link only) and without looping back to this host.
    public static func sendMulticast(_ bytes: [UInt8], to group: IPv4Address, port: UInt16,
                                     from interfaceAddress: IPv4Address) throws(SystemError) {
        let operation = "sending to multicast group \(group) from \(interfaceAddress)"
        let fd = try Syscall.value(operation) { socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        defer { _ = Glibc.close(fd) }
        var interface = in_addr(s_addr: interfaceAddress.value.bigEndian)
        _ = try Syscall.value(operation) { setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &interface, socklen_t(MemoryLayout<in_addr>.size)) }
        try setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, 1, operation)
        try setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, 0, operation)
        let sent = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in
                try send(raw, on: fd, family: .ipv4Only, to: Endpoint(address: .v4(group), port: port), operation: operation)
            }
        }
        _ = try sent.get()
    }

    /// Sends `bytes` to IPv6 `group`:`port` out of interface `interfaceIndex`, from `source`
    /// (an address of that interface, so the receiver can answer it without a scope), with a
    /// hop limit of 1 and without looping back to this host.
    public static func sendMulticast(_ bytes: [UInt8], to group: IPv6Address, port: UInt16, interfaceIndex: UInt32,
                                     from source: IPv6Address) throws(SystemError) {
        let operation = "sending to multicast group \(group) from \(source)"
        let fd = try Syscall.value(operation) { socket(AF_INET6, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        defer { _ = Glibc.close(fd) }
        // An IPv6 address always makes an AF_INET6 sockaddr.
        let bound = SocketAddress.storage(Endpoint(address: .v6(source), port: 0), family: .dualStack)!
        var from = bound.0
        _ = try Syscall.value(operation) {
            withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, bound.1) } }
        }
        try setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, Int32(bitPattern: interfaceIndex), operation)
        try setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, 1, operation)
        try setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, 0, operation)
        let sent = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemError) in
                try send(raw, on: fd, family: .dualStack, to: Endpoint(address: .v6(group), port: port), scopeID: interfaceIndex,
                         operation: operation)
            }
        }
        _ = try sent.get()
    }

    static func in6(_ address: IPv6Address) -> in6_addr {
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address.bytes) }
        return raw
    }
}
