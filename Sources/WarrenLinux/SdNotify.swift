import CLinux
import Glibc

/// Tells systemd how the service is doing (sd_notify(3)), without libsystemd: one datagram
/// of `KEY=value` lines to the unix socket named by $NOTIFY_SOCKET. With `Type=notify`,
/// systemd considers the daemon started only when it sends `READY=1`, so units ordered
/// after warren see a configured interface.
///
/// Outside systemd (no $NOTIFY_SOCKET) every call does nothing, so the daemon calls it
/// unconditionally.
public enum SdNotify {
    /// True when $NOTIFY_SOCKET is set, that is when running under a notify-type unit.
    public static var isEnabled: Bool { socketName != nil }

    /// Sends `state`, such as "READY=1\nSTATUS=3 peers connected" or "STOPPING=1", to
    /// $NOTIFY_SOCKET. Does nothing when it is unset.
    public static func send(_ state: String) throws(SystemError) {
        guard let name = socketName else { return }
        try send(state, toSocket: name)
    }

    /// Sends `state` to the datagram socket `name`: a path, or an abstract name starting
    /// with '@'. Other schemes (vsock:) are not supported.
    public static func send(_ state: String, toSocket name: String) throws(SystemError) {
        let operation = "notifying systemd at \(name)"
        guard name.hasPrefix("/") || name.hasPrefix("@") else {
            throw SystemError(operation: operation, errno: EAFNOSUPPORT, hint: "only unix socket addresses are supported")
        }
        let address = try UnixSocketAddress(name, operation: operation)
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue)
        let descriptor = FileDescriptor(try Syscall.value(operation) { socket(AF_UNIX, type, 0) })
        defer { descriptor.close() }
        var bytes = Array(state.utf8)
        let fd = descriptor.rawValue
        let count = bytes.count
        let sent = try Syscall.value(operation) {
            address.withSockaddr { pointer, length in
                bytes.withUnsafeMutableBytes { sendto(fd, $0.baseAddress, count, Int32(MSG_NOSIGNAL), pointer, length) }
            }
        }
        guard sent == count else { throw SystemError(operation: operation, errno: EMSGSIZE) }
    }

    private static var socketName: String? {
        guard let value = getenv("NOTIFY_SOCKET"), value.pointee != 0 else { return nil }
        return String(cString: value)
    }
}
