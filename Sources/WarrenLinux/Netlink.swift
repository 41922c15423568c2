import CLinux
import Glibc

/// A route-netlink (NETLINK_ROUTE) socket, driven through libmnl, that configures links,
/// addresses and routes the way `ip` does. Every request asks for the kernel's
/// acknowledgement (NLM_F_ACK) and waits for it, so each call either took effect or throws
/// an error naming the operation and the kernel's errno:
/// "adding address 10.8.0.1/16 to warren0: File exists (errno 17)".
///
/// Owned by the daemon's control thread (not `Sendable`): it holds one message buffer,
/// reused for every request and reply, and a sequence counter. The operations live in
/// `Netlink+Link.swift`, `Netlink+Address.swift` and `Netlink+Route.swift`.
public final class Netlink {
    /// libmnl's `struct mnl_socket *`; opaque to Swift.
    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32
    private let buffer: UnsafeMutableRawPointer
    private let bufferBytes: Int

    public init() throws(SystemError) {
        let opened = try Syscall.run("opening a netlink socket", failed: { $0 == nil }) {
            mnl_socket_open2(NETLINK_ROUTE, Int32(SOCK_CLOEXEC.rawValue))
        }
        guard case .done(let socket?) = opened else {
            throw SystemError(operation: "opening a netlink socket", errno: EAGAIN)
        }
        do {
            _ = try Syscall.value("binding a netlink socket") { mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) }
        } catch {
            mnl_socket_close(socket)
            throw error
        }
        // The kernel answers at once; a bounded wait turns a lost reply into an error
        // instead of a control thread stuck forever.
        var timeout = timeval(tv_sec: Self.replyTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
        // Any start works; a clock-derived one keeps replies to an earlier process apart.
        sequence = UInt32(truncatingIfNeeded: MonotonicClock.now().nanoseconds)
        bufferBytes = CLinux_mnl_socket_buffer_size()
        buffer = .allocate(byteCount: bufferBytes, alignment: 16)
    }

    static let replyTimeoutSeconds = 5

    deinit {
        mnl_socket_close(socket)
        buffer.deallocate()
    }

    /// Sends one request of `type` with NLM_F_REQUEST | NLM_F_ACK | `flags`, its body
    /// written by `build` (fixed header, then attributes), and waits for the acknowledgement.
    /// Throws the kernel's errno with `operation` as the context.
    func request(
        _ operation: @autoclosure () -> String,
        type: Int32,
        flags: Int32 = 0,
        build: (UnsafeMutablePointer<nlmsghdr>) -> Void
    ) throws(SystemError) {
        do {
            try discardStaleReplies()  // Before the request is built: it reads into `buffer`.
        } catch {
            throw error.renamed(operation())
        }
        sequence &+= 1
        let expected = sequence
        // Invariant: mnl_nlmsg_put_header zeroes and returns the start of `buffer`, which is
        // bufferBytes long; our requests (a fixed header and a few attributes) stay far below.
        let header = mnl_nlmsg_put_header(buffer)!
        header.pointee.nlmsg_type = UInt16(type)
        header.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_ACK | flags)
        header.pointee.nlmsg_seq = expected
        build(header)
        let length = Int(header.pointee.nlmsg_len)
        precondition(length <= bufferBytes, "netlink request larger than its buffer")
        do throws(SystemError) {
            _ = try Syscall.value("sending a netlink request") { mnl_socket_sendto(socket, header, length) }
            // The reply may span several reads; mnl_cb_run returns MNL_CB_STOP on the ACK and
            // MNL_CB_ERROR with errno set to the kernel's error code.
            while true {
                let result = try Syscall.run("reading a netlink reply") {
                    mnl_socket_recvfrom(socket, buffer, bufferBytes)
                }
                guard case .done(let received) = result else {
                    throw SystemError(operation: "reading a netlink reply", errno: ETIMEDOUT)
                }
                let status = try Syscall.value("netlink reply") {
                    mnl_cb_run(buffer, received, expected, portID, nil, nil)
                }
                if status <= MNL_CB_STOP { return }
            }
        } catch {
            throw error.renamed(operation())
        }
    }

    /// Drops replies still queued from a request that timed out, so their sequence numbers
    /// cannot be mistaken for an answer to the next one. Normally finds nothing.
    private func discardStaleReplies() throws(SystemError) {
        let fd = mnl_socket_get_fd(socket)
        let buffer = buffer, bufferBytes = bufferBytes
        while case .done(let count) = try Syscall.run("discarding stale netlink replies", {
            recv(fd, buffer, bufferBytes, Int32(MSG_DONTWAIT))
        }), count > 0 {}
    }

    /// Appends an attribute holding `bytes`.
    static func put(_ header: UnsafeMutablePointer<nlmsghdr>, _ type: Int32, bytes: [UInt8]) {
        bytes.withUnsafeBytes { mnl_attr_put(header, UInt16(type), $0.count, $0.baseAddress) }
    }

    /// Appends a fixed header (ifinfomsg, ifaddrmsg, rtmsg) right after the netlink header.
    static func putExtraHeader<Header>(_ header: UnsafeMutablePointer<nlmsghdr>, _ value: Header) {
        // Invariant: mnl_nlmsg_put_extra_header reserves and zeroes exactly `size` aligned
        // bytes inside the message buffer and returns their start; a trivial C struct is
        // stored there by value.
        let extra = mnl_nlmsg_put_extra_header(header, MemoryLayout<Header>.size)!
        extra.storeBytes(of: value, as: Header.self)
    }

    /// "warren0" for an existing index, "interface 7" otherwise: for error messages only.
    static func interfaceLabel(_ index: UInt32) -> String {
        var name = [CChar](repeating: 0, count: Int(CLinux_IFNAMSIZ))
        guard if_indextoname(index, &name) != nil else { return "interface \(index)" }
        return String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
