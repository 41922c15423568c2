import CLinux
import Glibc
import WarrenWire

/// One accepted control-socket client, owned by the `ControlServer` thread: its request
/// bytes as they trickle in, then its reply as the socket takes it.
///
/// The descriptor is non-blocking, so a client that connects and says nothing, or never reads
/// its reply, costs one slot until its deadline, never a wait. Writes use MSG_NOSIGNAL: a
/// client that hangs up early must not kill the daemon with SIGPIPE.
final class ControlConnection {
    enum Phase {
        /// Until its request line is complete.
        case reading
        /// The request is with the daemon; nothing to do until the reply comes.
        case waiting
        /// Writing the reply; closed once it is all written.
        case writing
    }

    /// What reading brought.
    enum Input: Equatable {
        /// The request up to its newline (excluded), or up to end of input when the client
        /// closed its side without one.
        case line(String)
        /// Nothing complete yet.
        case incomplete
        /// The client closed without sending anything.
        case ended
    }

    static let maxRequestBytes = 4096

    private let descriptor: FileDescriptor
    private(set) var phase = Phase.reading
    /// When the client is closed unless it has moved on: its request must arrive, its reply
    /// be taken. Nil while the daemon works on the request.
    private(set) var deadline: Instant?
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var written = 0

    init(_ descriptor: FileDescriptor, deadline: Instant) {
        self.descriptor = descriptor
        self.deadline = deadline
    }

    var fileDescriptor: Int32 { descriptor.rawValue }

    /// The connecting process's user id (SO_PEERCRED), for logging or finer checks than the
    /// socket's file mode.
    func peerUserID() throws(SystemError) -> UInt32 {
        var credentials = CLinux_ucred()
        var length = socklen_t(MemoryLayout<CLinux_ucred>.size)
        let fd = descriptor.rawValue
        _ = try Syscall.value("reading control client credentials") {
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length)
        }
        return credentials.uid
    }

    /// Reads what the client has sent so far. A complete line moves the connection to
    /// `.waiting`. Throws EMSGSIZE past `maxRequestBytes`.
    func read() throws(SystemError) -> Input {
        precondition(phase == .reading, "reading a control client that already sent its request")
        let operation = "reading a control request"
        let fd = descriptor.rawValue
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = chunk.count
            // Invariant: recv stores at most `count` bytes, the size of `chunk`.
            let result = try Syscall.run(operation) { chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, 0) } }
            guard case .done(let received) = result else { return .incomplete }
            if received == 0 {
                guard !input.isEmpty else { return .ended }
                return complete(input)
            }
            if let newline = chunk[0..<received].firstIndex(of: UInt8(ascii: "\n")) {
                input.append(contentsOf: chunk[0..<newline])
                guard input.count <= Self.maxRequestBytes else { break }
                return complete(input)
            }
            input.append(contentsOf: chunk[0..<received])
            guard input.count <= Self.maxRequestBytes else { break }
        }
        throw SystemError(operation: operation, errno: EMSGSIZE, hint: "longer than \(Self.maxRequestBytes) bytes")
    }

    private func complete(_ bytes: [UInt8]) -> Input {
        phase = .waiting
        deadline = nil
        input = []
        return .line(String(decoding: bytes, as: UTF8.self))
    }

    /// Starts writing `reply`, which the client must take by `deadline`.
    func startReply(_ reply: [UInt8], deadline: Instant) {
        phase = .writing
        self.deadline = deadline
        output = reply
        written = 0
    }

    /// Writes as much of the reply as the socket takes; true once all of it is written.
    func write() throws(SystemError) -> Bool {
        precondition(phase == .writing, "writing to a control client without a reply")
        let fd = descriptor.rawValue
        while written < output.count {
            let start = written
            // Invariant: 0 <= start < output.count, so the range passed lies inside `output`.
            let result = try Syscall.run("writing a control reply") {
                output.withUnsafeBytes { send(fd, $0.baseAddress! + start, $0.count - start, Int32(MSG_NOSIGNAL)) }
            }
            guard case .done(let sent) = result else { return false }
            written += sent
        }
        return true
    }

    func close() { descriptor.close() }
}
