import CLinux
import Glibc

/// The daemon's control socket (`/run/warren/warren.sock`): a listening unix stream socket
/// that `warren status` and friends connect to, send one request line and read one reply
/// from until the daemon closes the connection.
///
/// Access control is the file mode: 0660 by default, so root and the socket's group may
/// ask. The socket file is removed on `close()`. The listener is non-blocking; the control
/// thread polls `fileDescriptor` and calls `accept()`. Each connection is short-lived and
/// handled with `ControlConnection`.
public final class UnixControlSocket: Sendable {
    public let path: String
    private let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    /// Listens at `path`. A stale socket file left by a crashed daemon is replaced; a live
    /// one (something accepts connections there) is not (EADDRINUSE), nor is a file that is
    /// not a socket (EEXIST). `groupID`, when given, becomes the socket file's group.
    public init(path: String, mode: UInt32 = 0o660, groupID: UInt32? = nil, backlog: Int32 = 16) throws(SystemError) {
        let operation = "creating control socket \(path)"
        let address = try UnixSocketAddress(path, operation: operation)
        try Self.removeStale(path, address: address, operation)
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let descriptor = FileDescriptor(try Syscall.value(operation) { socket(AF_UNIX, type, 0) })
        let fd = descriptor.rawValue
        _ = try Syscall.value(operation) { address.withSockaddr { bind(fd, $0, $1) } }
        do {
            // bind creates the file with the umask applied; set exactly the mode asked for
            // before listen(), so no client can connect while the mode is wider.
            _ = try Syscall.value(operation) { chmod(path, mode_t(mode)) }
            if let groupID {
                _ = try Syscall.value(operation) { chown(path, uid_t.max, gid_t(groupID)) }
            }
            _ = try Syscall.value(operation) { listen(fd, backlog) }
        } catch {
            _ = unlink(path)
            throw error
        }
        self.path = path
        self.descriptor = descriptor
    }

    private static func removeStale(_ path: String, address: UnixSocketAddress, _ operation: String) throws(SystemError) {
        var status = stat()
        // ENOENT is the usual answer, not a failure: there is nothing to remove.
        switch try Syscall.run(operation, failed: { $0 == -1 && Glibc.errno != ENOENT }, { lstat(path, &status) }) {
        case .done(let result) where result == 0: break
        default: return
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw SystemError(operation: operation, errno: EEXIST, hint: "the path exists and is not a socket")
        }
        // Non-blocking, so a live daemon with a full backlog answers EAGAIN instead of
        // stalling us; that too means "in use".
        let probeType = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let probe = FileDescriptor(try Syscall.value(operation) { socket(AF_UNIX, probeType, 0) })
        defer { probe.close() }
        let fd = probe.rawValue
        do throws(SystemError) {
            _ = try Syscall.value(operation) { address.withSockaddr { connect(fd, $0, $1) } }
            throw SystemError(operation: operation, errno: EADDRINUSE, hint: "another warren daemon is listening there")
        } catch where error.errno == ECONNREFUSED {
            // Nobody listens: a leftover from a daemon that did not shut down cleanly.
            _ = try Syscall.value(operation) { unlink(path) }
        }
    }

    /// The next waiting client, or nil when none is waiting.
    public func accept() throws(SystemError) -> ControlConnection? {
        let fd = descriptor.rawValue
        let flags = Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        switch try Syscall.run("accepting on \(path)", { CLinux_accept4(fd, nil, nil, flags) }) {
        case .done(let raw): return ControlConnection(FileDescriptor(raw))
        case .wouldBlock: return nil
        }
    }

    /// Stops listening and removes the socket file.
    public func close() {
        guard !descriptor.isClosed else { return }
        _ = unlink(path)
        descriptor.close()
    }

    deinit { close() }
}
