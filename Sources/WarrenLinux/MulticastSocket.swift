import CLinux
import Glibc
public import WarrenWire

/// A UDP socket that listens on a port of its own for the multicast groups it joins (LAN
/// beacons), read by the control thread, never by the packet threads. Each datagram comes
/// with what the kernel knows of its arrival: the destination address in its header and the
/// TTL or hop limit it arrived with (IP_PKTINFO / IP_RECVTTL, IPV6_RECVPKTINFO /
/// IPV6_RECVHOPLIMIT), so the caller can refuse unicast and anything a router forwarded.
///
/// It shares the main socket's family (dual-stack or IPv4 only). SO_REUSEADDR lets several
/// daemons on one host bind the port; each gets its own copy of every group datagram.
/// IP_MULTICAST_ALL is off, so it hears only the groups it joined itself.
public final class MulticastSocket: Sendable {
    public let family: UDPSocket.Family
    let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    /// A datagram as it arrived; its bytes are in the caller's buffer.
    public struct Arrival: Sendable {
        public var byteCount: Int
        public var source: Endpoint
        /// The destination address of its IP header.
        public var destination: IPAddress
        /// Its TTL (IPv4) or hop limit (IPv6) on arrival.
        public var hopLimit: Int
    }

    public init(port: UInt16, family: UDPSocket.Family) throws(SystemError) {
        let operation = "opening the LAN beacon socket on port \(port)"
        let domain = family == .dualStack ? AF_INET6 : AF_INET
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        descriptor = FileDescriptor(try Syscall.value(operation) { socket(domain, type, 0) })
        self.family = family
        let fd = descriptor.rawValue
        try UDPSocket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, operation)
        if family == .dualStack {
            try UDPSocket.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, operation)
            try UDPSocket.setOption(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, 1, operation)
            try UDPSocket.setOption(fd, Int32(IPPROTO_IPV6), IPV6_RECVHOPLIMIT, 1, operation)
        }
        // IPv4 datagrams on a dual-stack socket carry the IPv4 control messages.
        try UDPSocket.setOption(fd, Int32(IPPROTO_IP), IP_PKTINFO, 1, operation)
        try UDPSocket.setOption(fd, Int32(IPPROTO_IP), IP_RECVTTL, 1, operation)
        try UDPSocket.hearOnlyJoinedGroups(fd, family: family, operation)
        let any: IPAddress = family == .dualStack ? .v6(IPv6Address(high: 0, low: 0)) : .v4(IPv4Address(0))
        guard let (storage, length) = SocketAddress.storage(Endpoint(address: any, port: port), family: family) else {
            throw SystemError(operation: operation, errno: EAFNOSUPPORT)
        }
        var address = storage
        _ = try Syscall.value(operation) {
            withUnsafePointer(to: &address) { pointer in
                // Invariant: `address` holds a sockaddr of `length` bytes written by SocketAddress.
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
        }
    }

    /// Joins `group` on the interface that has `interfaceAddress`. Joining again is harmless.
    public func join(_ group: IPv4Address, interfaceAddress: IPv4Address) throws(SystemError) {
        var request = ip_mreq(imr_multiaddr: in_addr(s_addr: group.value.bigEndian),
                              imr_interface: in_addr(s_addr: interfaceAddress.value.bigEndian))
        let result = setsockopt(fileDescriptor, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ip_mreq>.size))
        if result != 0, errno != EADDRINUSE {
            throw SystemError(operation: "joining multicast group \(group) on \(interfaceAddress)", errno: errno)
        }
    }

    /// Joins IPv6 `group` on interface `interfaceIndex` (a dual-stack socket). Joining again
    /// is harmless.
    public func join(_ group: IPv6Address, interfaceIndex: UInt32) throws(SystemError) {
        var request = ipv6_mreq(ipv6mr_multiaddr: UDPSocket.in6(group), ipv6mr_interface: interfaceIndex)
        let result = setsockopt(fileDescriptor, Int32(IPPROTO_IPV6), IPV6_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<ipv6_mreq>.size))
        if result != 0, errno != EADDRINUSE {
            throw SystemError(operation: "joining multicast group \(group) on interface \(interfaceIndex)", errno: errno)
        }
    }

    /// Reads one datagram into `buffer` (a longer one is cut short: check `byteCount`
    /// against the buffer). Nil when none is waiting. Should the kernel give no destination
    /// or TTL, the arrival says 0.0.0.0 and 0, which no group and no link has.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Arrival? {
        var name = sockaddr_storage()
        var control = [UInt8](repeating: 0, count: Int(CLinux_ARRIVAL_CONTROL_BYTES))
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let fd = fileDescriptor
        let (result, nameLength, destination, hopLimit) = withUnsafeMutablePointer(to: &name) { namePointer in
            withUnsafeMutablePointer(to: &vector) { vectorPointer in
                control.withUnsafeMutableBytes { controlBytes in
                    // Invariant: the msghdr points at `name`, one iovec over `buffer` and
                    // `control`, each alive and of the size given, for the call.
                    var message = msghdr(msg_name: UnsafeMutableRawPointer(namePointer), msg_namelen: socklen_t(SocketAddress.storageBytes),
                                         msg_iov: vectorPointer, msg_iovlen: 1, msg_control: controlBytes.baseAddress,
                                         msg_controllen: controlBytes.count, msg_flags: 0)
                    let result = Result { () throws(SystemError) in try Syscall.run("receiving a LAN beacon") { recvmsg(fd, &message, 0) } }
                    var destination = [UInt8](repeating: 0, count: 16)
                    var destinationLength: Int32 = 0, hopLimit: Int32 = 0
                    let found = CLinux_arrival(&message, &destination, &destinationLength, &hopLimit) == 0
                    return (result, Int(message.msg_namelen), found ? Array(destination.prefix(Int(destinationLength))) : [0, 0, 0, 0],
                            found ? Int(hopLimit) : 0)
                }
            }
        }
        guard case .done(let count) = try result.get(),
              let source = withUnsafeBytes(of: &name, { SocketAddress.endpoint(from: $0.baseAddress!, length: nameLength) }) else {
            return nil
        }
        let address: IPAddress
        if destination.count == 4 {
            address = .v4(IPv4Address(destination[0], destination[1], destination[2], destination[3]))
        } else if let v6 = IPv6Address(bytes: destination) {
            address = .v6(v6)
        } else {
            return nil
        }
        return Arrival(byteCount: count, source: source, destination: address, hopLimit: hopLimit)
    }

    /// Closes the socket. Stop reading it first.
    public func close() { descriptor.close() }
}
