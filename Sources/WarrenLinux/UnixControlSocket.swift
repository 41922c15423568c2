import CLinux
import Glibc
import WarrenWire

/// The daemon's control socket (`/run/warren/warren.sock`): a listening unix stream socket
/// that `warren status` and friends connect to, send one request line and read one reply
/// from until the daemon closes the connection.
///
/// Access control is the file mode: 0660 by default, so root and the socket's group may
/// ask. The socket file is removed on `close()`. The listener is non-blocking; a
/// `ControlServer` polls `fileDescriptor` and calls `accept()`.
public final class UnixControlSocket: Sendable {
    public let path: String
    private let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    /// Listens at `path`. A stale socket file left by a crashed daemon is replaced; a live
    /// one (something accepts connections there) is not (EADDRINUSE), nor is a file that is
    /// not a socket (EEXIST). `groupID`, when given, becomes the socket file's group.
    ///
    /// The file appears at `path` already listening, with its mode and group: it is bound
    /// in a private directory beside `path`, given its mode and group there and renamed into
    /// place. bind() cannot take a mode (Linux creates the file with the socket inode's mode
    /// minus the umask, so an fchmod before bind can only narrow it, and the umask is the
    /// whole process's), and a chmod or chown by `path` after bind would follow whatever a
    /// writer of the directory put there in between, a symlink to /etc/shadow say.
    public init(path: String, mode: UInt32 = 0o660, groupID: UInt32? = nil, backlog: Int32 = 16) throws(SystemError) {
        let operation = "creating control socket \(path)"
        let address = try UnixSocketAddress(path, operation: operation)
        try Self.removeStale(path, address: address, operation)
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let descriptor = FileDescriptor(try Syscall.value(operation) { socket(AF_UNIX, type, 0) })
        let fd = descriptor.rawValue
        let staging = try StagingDirectory(beside: path, operation)
        defer { staging.remove() }
        let directory = staging.descriptor.rawValue
        // Bound through /proc/self/fd, the name reaches the directory we made even if it was
        // renamed meanwhile, and stays short whatever the length of `path`.
        let inside = try UnixSocketAddress("/proc/self/fd/\(directory)/\(StagingDirectory.entry)", operation: operation)
        _ = try Syscall.value(operation) { inside.withSockaddr { bind(fd, $0, $1) } }
        do {
            // Nobody else can enter the 0700 directory, so the entry is still our socket.
            _ = try Syscall.value(operation) { fchmodat(directory, StagingDirectory.entry, mode_t(mode), 0) }
            if let groupID {
                _ = try Syscall.value(operation) {
                    fchownat(directory, StagingDirectory.entry, uid_t.max, gid_t(groupID), AT_SYMLINK_NOFOLLOW)
                }
            }
            _ = try Syscall.value(operation) { listen(fd, backlog) }
            // NOREPLACE: whatever appeared at `path` since the stale check stays.
            _ = try Syscall.value(operation) { CLinux_rename_noreplace(directory, StagingDirectory.entry, path) }
        } catch {
            _ = unlinkat(directory, StagingDirectory.entry, 0)
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

    /// The next waiting client, which must send its request by `deadline`, or nil when none
    /// is waiting.
    func accept(deadline: Instant) throws(SystemError) -> ControlConnection? {
        let fd = descriptor.rawValue
        let flags = Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        switch try Syscall.run("accepting on \(path)", { CLinux_accept4(fd, nil, nil, flags) }) {
        case .done(let raw): return ControlConnection(FileDescriptor(raw), deadline: deadline)
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

/// A fresh 0700 directory beside the control socket's path (mkdtemp), open, where the
/// socket is bound and set up before it is renamed into place; removed again once empty.
private struct StagingDirectory {
    static let entry = "socket"
    let path: String
    let descriptor: FileDescriptor

    init(beside socketPath: String, _ operation: String) throws(SystemError) {
        let slash = socketPath.lastIndex(of: "/")
        let parent = slash.map { $0 == socketPath.startIndex ? "/" : String(socketPath[..<$0]) + "/" } ?? ""
        var template = Array("\(parent).warren-socket.XXXXXX".utf8CString)
        // Invariant: `template` is NUL-terminated and mkdtemp only rewrites its six Xs.
        _ = try Syscall.run(operation, failed: { $0 == nil }) { template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) } }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        do {
            descriptor = FileDescriptor(try Syscall.value(operation) { open(path, flags) })
        } catch {
            _ = rmdir(path)
            throw error
        }
        self.path = path
    }

    func remove() {
        descriptor.close()
        _ = rmdir(path)
    }
}
