import CLinux
import Glibc

/// The CLI's side of the control socket: one request, one reply.
extension UnixControlSocket {
    /// Connects to the daemon at `path`, sends `line` (a newline is added), and returns
    /// everything the daemon writes until it closes the connection. Errors say what to check:
    /// "cannot connect to /run/warren/warren.sock: No such file or directory (errno 2) — is
    /// warren running?".
    public static func request(
        path: String,
        line: String,
        timeoutMilliseconds: Int32 = 5000,
        maxReplyBytes: Int = 16 << 20
    ) throws(SystemError) -> [UInt8] {
        let connectOperation = "cannot connect to \(path)"
        let address = try UnixSocketAddress(path, operation: connectOperation)
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)
        let descriptor = FileDescriptor(try Syscall.value(connectOperation) { socket(AF_UNIX, type, 0) })
        defer { descriptor.close() }
        let fd = descriptor.rawValue
        // A blocking socket with timeouts: the CLI has nothing else to do while it waits,
        // and a wedged daemon must not hang it forever.
        var timeout = timeval(tv_sec: Int(timeoutMilliseconds / 1000), tv_usec: Int(timeoutMilliseconds % 1000) * 1000)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = try Syscall.value(connectOperation) {
                setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
        }
        do {
            _ = try Syscall.value(connectOperation) { address.withSockaddr { connect(fd, $0, $1) } }
        } catch {
            throw error.renamed(connectOperation, hint: hint(forConnectError: error.errno))
        }

        let sendOperation = "sending a request to \(path)"
        var request = Array(line.utf8)
        if request.last != UInt8(ascii: "\n") { request.append(UInt8(ascii: "\n")) }
        var offset = 0
        while offset < request.count {
            let start = offset
            // Invariant: 0 <= start < request.count, so the range passed lies inside `request`.
            let result = try Syscall.run(sendOperation) {
                request.withUnsafeBytes { send(fd, $0.baseAddress! + start, $0.count - start, Int32(MSG_NOSIGNAL)) }
            }
            guard case .done(let sent) = result else { throw SystemError(operation: sendOperation, errno: ETIMEDOUT) }
            offset += sent
        }
        // Half-close: the daemon sees end of input even if it reads past the line.
        _ = try Syscall.value(sendOperation) { shutdown(fd, Int32(SHUT_WR)) }

        let readOperation = "waiting for a reply from \(path)"
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.count
            // Invariant: recv stores at most `count` bytes, the size of `chunk`.
            let result = try Syscall.run(readOperation) { chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, 0) } }
            guard case .done(let received) = result else {
                throw SystemError(operation: readOperation, errno: ETIMEDOUT, hint: "the daemon did not answer")
            }
            if received == 0 { return reply }
            guard reply.count + received <= maxReplyBytes else {
                throw SystemError(operation: readOperation, errno: EMSGSIZE, hint: "reply longer than \(maxReplyBytes) bytes")
            }
            reply.append(contentsOf: chunk[0..<received])
        }
    }

    private static func hint(forConnectError code: Int32) -> String? {
        switch code {
        case ENOENT, ECONNREFUSED: "is warren running?"
        case EACCES, EPERM: "run as root or as a member of the socket's group"
        default: nil
        }
    }
}
