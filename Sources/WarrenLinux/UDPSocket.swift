import CLinux
import Glibc
public import WarrenWire

/// The node's one UDP socket: tunnel data, handshakes, STUN and DHT traffic all share it.
///
/// Bound to `::` with IPV6_V6ONLY off, so one descriptor serves IPv4 peers (seen as
/// IPv4-mapped addresses, reported as `.v4`) and IPv6 peers; on a kernel without IPv6 it
/// falls back to an IPv4-only socket. Non-blocking: the data plane polls `fileDescriptor`
/// and moves datagrams in batches with `receive(into:)` and `flush(_:)`.
///
/// Receive buffers are made large on purpose: a burst that outruns the reader is dropped
/// by the kernel, and the default (about 200 KiB) overflows in milliseconds at gigabit
/// rates. SO_RCVBUFFORCE / SO_SNDBUFFORCE pass the net.core.rmem_max cap when the process
/// has CAP_NET_ADMIN; without it the request falls back to SO_RCVBUF / SO_SNDBUF, which
/// the kernel clamps to the sysctl.
public final class UDPSocket: Sendable {
    /// Which addresses the socket can reach.
    public enum Family: Sendable, Hashable {
        /// AF_INET6 with IPV6_V6ONLY = 0: IPv4 and IPv6 peers.
        case dualStack
        /// AF_INET: IPv4 peers only, because the kernel has no IPv6.
        case ipv4Only
    }

    public static let defaultBufferBytes = 8 << 20

    public let family: Family
    /// Whether the kernel takes runs of datagrams as one send (UDP_SEGMENT, Linux 4.18).
    public let supportsSegmentation: Bool
    /// The bound port: the requested one, or the kernel's pick when 0 was requested.
    public let localPort: UInt16
    let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    /// Opens and binds the socket. `port` 0 lets the kernel choose (see `localPort`).
    public init(port: UInt16, bufferBytes: Int = UDPSocket.defaultBufferBytes) throws(SystemError) {
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let opened: (FileDescriptor, Family)
        do {
            let raw = try Syscall.value("creating UDP socket") { socket(AF_INET6, type, 0) }
            opened = (FileDescriptor(raw), .dualStack)
        } catch where error.errno == EAFNOSUPPORT {
            let raw = try Syscall.value("creating UDP socket") { socket(AF_INET, type, 0) }
            opened = (FileDescriptor(raw), .ipv4Only)
        }
        var (descriptor, family) = opened
        do {
            try Self.configure(descriptor, family: family, port: port, bufferBytes: bufferBytes)
        } catch where family == .dualStack && (error.errno == EADDRNOTAVAIL || error.errno == EAFNOSUPPORT) {
            // IPv6 exists in the kernel but is disabled: serve IPv4 alone.
            descriptor.close()
            let raw = try Syscall.value("creating UDP socket") { socket(AF_INET, type, 0) }
            (descriptor, family) = (FileDescriptor(raw), .ipv4Only)
            try Self.configure(descriptor, family: family, port: port, bufferBytes: bufferBytes)
        }
        self.descriptor = descriptor
        self.family = family
        supportsSegmentation = CLinux_probe_udp_segment(descriptor.rawValue) == 0
        localPort = try Self.boundPort(descriptor.rawValue)
    }

    private static func configure(_ descriptor: FileDescriptor, family: Family, port: UInt16, bufferBytes: Int) throws(SystemError) {
        let fd = descriptor.rawValue
        let bytes = Int32(clamping: bufferBytes)
        if family == .dualStack {
            try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, "turning off IPV6_V6ONLY")
        }
        try hearOnlyJoinedGroups(fd, family: family, "turning off IP_MULTICAST_ALL")
        try setBuffer(fd, force: SO_RCVBUFFORCE, plain: SO_RCVBUF, bytes: bytes, "setting the UDP receive buffer")
        try setBuffer(fd, force: SO_SNDBUFFORCE, plain: SO_SNDBUF, bytes: bytes, "setting the UDP send buffer")
        var storage = sockaddr_storage()
        let length: socklen_t = withUnsafeMutableBytes(of: &storage) { raw in
            switch family {
            case .dualStack:
                var any = sockaddr_in6()
                any.sin6_family = sa_family_t(AF_INET6)
                any.sin6_port = port.bigEndian  // sin6_addr zero = in6addr_any
                raw.storeBytes(of: any, as: sockaddr_in6.self)
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            case .ipv4Only:
                var any = sockaddr_in()
                any.sin_family = sa_family_t(AF_INET)
                any.sin_port = port.bigEndian  // sin_addr zero = INADDR_ANY
                raw.storeBytes(of: any, as: sockaddr_in.self)
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        }
        _ = try Syscall.value("binding UDP port \(port)") {
            withUnsafePointer(to: &storage) { pointer in
                // Invariant: `storage` holds a sockaddr of `length` bytes written above.
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
        }
    }

    private static func setBuffer(_ fd: Int32, force: Int32, plain: Int32, bytes: Int32, _ operation: String) throws(SystemError) {
        do {
            try setOption(fd, SOL_SOCKET, force, bytes, operation)
        } catch where error.errno == EPERM {
            // No CAP_NET_ADMIN: take what net.core.{r,w}mem_max allows.
            try setOption(fd, SOL_SOCKET, plain, bytes, operation)
        }
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ operation: @autoclosure () -> String) throws(SystemError) {
        var value = value
        _ = try Syscall.value(operation()) { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    private static func option(_ fd: Int32, _ name: Int32, _ operation: String) throws(SystemError) -> Int {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = try Syscall.value(operation) { getsockopt(fd, SOL_SOCKET, name, &value, &length) }
        return Int(value)
    }

    private static func boundPort(_ fd: Int32) throws(SystemError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try Syscall.value("reading the bound UDP port") {
            withUnsafeMutablePointer(to: &storage) { pointer in
                // Invariant: the kernel writes at most `length` (sizeof sockaddr_storage) bytes.
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        let endpoint = withUnsafeBytes(of: &storage) { SocketAddress.endpoint(from: $0.baseAddress!, length: Int(length)) }
        guard let endpoint else { throw SystemError(operation: "reading the bound UDP port", errno: EAFNOSUPPORT) }
        return endpoint.port
    }

    /// The buffer sizes in effect, as the kernel reports them: it doubles each request to
    /// account for its bookkeeping, so 8 MiB requested reads back as 16 MiB.
    public func effectiveBufferBytes() throws(SystemError) -> (receive: Int, send: Int) {
        (try Self.option(fileDescriptor, SO_RCVBUF, "reading SO_RCVBUF"),
         try Self.option(fileDescriptor, SO_SNDBUF, "reading SO_SNDBUF"))
    }

    /// Sends one datagram now, for control messages off the batch path. Returns false when
    /// the socket buffer is full and the datagram was dropped.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint) throws(SystemError) -> Bool {
        try Self.send(bytes, on: fileDescriptor, family: family, to: endpoint, operation: "sendto")
    }

    /// One sendto on `fd`, a socket of `family`: whether it went (false when the socket
    /// buffer is full). `scopeID` is the interface of an IPv6 destination that needs one.
    static func send(_ bytes: UnsafeRawBufferPointer, on fd: Int32, family: Family, to endpoint: Endpoint, scopeID: UInt32 = 0,
                     operation: @autoclosure () -> String) throws(SystemError) -> Bool {
        guard let address = SocketAddress.storage(endpoint, family: family, scopeID: scopeID) else {
            throw SystemError(operation: "sending to \(endpoint)", errno: EAFNOSUPPORT, hint: "this host has no IPv6")
        }
        var (storage, length) = (address.0, address.1)
        let result = try Syscall.run(operation()) {
            withUnsafePointer(to: &storage) { pointer in
                // Invariant: `storage` holds a sockaddr of `length` bytes written above.
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, length)
                }
            }
        }
        if case .done = result { return true }
        return false
    }

    /// Closes the socket. Stop the threads that use it first.
    public func close() { descriptor.close() }
}
