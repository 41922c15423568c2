import CLinux
import Glibc
import WarrenWire

/// One accepted control-socket client: read its request line, write the reply, close.
///
/// The descriptor is non-blocking and every step has a deadline, so a client that connects
/// and says nothing costs the control thread at most the timeout, never a hang. Writes use
/// MSG_NOSIGNAL: a client that hangs up early must not kill the daemon with SIGPIPE.
public final class ControlConnection: Sendable {
    private let descriptor: FileDescriptor

    init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    public var fileDescriptor: Int32 { descriptor.rawValue }

    /// The connecting process's user id (SO_PEERCRED), for logging or finer checks than the
    /// socket's file mode.
    public func peerUserID() throws(SystemError) -> UInt32 {
        var credentials = CLinux_ucred()
        var length = socklen_t(MemoryLayout<CLinux_ucred>.size)
        let fd = descriptor.rawValue
        _ = try Syscall.value("reading control client credentials") {
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length)
        }
        return credentials.uid
    }

    /// The request up to its newline (excluded), or up to end of input when the client
    /// closed without one. Nil when the client sent nothing at all. Throws ETIMEDOUT after
    /// `timeoutMilliseconds` and EMSGSIZE past `maxBytes`.
    public func readLine(maxBytes: Int = 4096, timeoutMilliseconds: Int32 = 1000) throws(SystemError) -> String? {
        let operation = "reading a control request"
        let deadline = MonotonicClock.now() + .milliseconds(Int(timeoutMilliseconds))
        let fd = descriptor.rawValue
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            try Self.waitFor(Int16(POLLIN), fd: fd, until: deadline, operation)
            let count = chunk.count
            // Invariant: recv stores at most `count` bytes, the size of `chunk`.
            let result = try Syscall.run(operation) { chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, 0) } }
            guard case .done(let received) = result else { continue }
            if received == 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if let newline = chunk[0..<received].firstIndex(of: UInt8(ascii: "\n")) {
                line.append(contentsOf: chunk[0..<newline])
                guard line.count <= maxBytes else { break }
                return String(decoding: line, as: UTF8.self)
            }
            line.append(contentsOf: chunk[0..<received])
            guard line.count <= maxBytes else { break }
        }
        throw SystemError(operation: operation, errno: EMSGSIZE, hint: "longer than \(maxBytes) bytes")
    }

    /// Writes `reply` completely, then closes the connection; the client reads until EOF.
    public func respond(_ reply: [UInt8], timeoutMilliseconds: Int32 = 1000) throws(SystemError) {
        defer { close() }
        let operation = "writing a control reply"
        let deadline = MonotonicClock.now() + .milliseconds(Int(timeoutMilliseconds))
        let fd = descriptor.rawValue
        var offset = 0
        while offset < reply.count {
            try Self.waitFor(Int16(POLLOUT), fd: fd, until: deadline, operation)
            let start = offset
            // Invariant: 0 <= start < reply.count, so the range passed lies inside `reply`.
            let result = try Syscall.run(operation) {
                reply.withUnsafeBytes { send(fd, $0.baseAddress! + start, $0.count - start, Int32(MSG_NOSIGNAL)) }
            }
            if case .done(let sent) = result { offset += sent }
        }
    }

    public func close() { descriptor.close() }

    /// Waits until `fd` has `events`, throwing ETIMEDOUT at `deadline`.
    static func waitFor(_ events: Int16, fd: Int32, until deadline: Instant, _ operation: String) throws(SystemError) {
        let remaining = deadline.since(MonotonicClock.now())
        let milliseconds = Int32(clamping: remaining.nanosecondsValue / 1_000_000)
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ready = try Syscall.value(operation) { poll(&entry, 1, milliseconds) }
        if ready == 0 { throw SystemError(operation: operation, errno: ETIMEDOUT) }
    }
}
