import Glibc
import Synchronization
import WarrenWire

/// Serves the control socket on a thread of its own, so that no client, however slow or
/// silent, delays the control thread's handshakes and timers.
///
/// The server thread (`run(stop:)`) accepts clients, reads their request lines and writes
/// their replies, all non-blocking, at most `maxClients` at a time; a client that does not
/// send its line within `requestTimeout`, or take its reply within `replyTimeout`, is
/// closed. Complete requests wait in an inbox for the control thread, which polls
/// `fileDescriptor`, takes them with `takeRequests()` and answers each with
/// `ControlRequest.respond(_:)`, now or later (a lookup answers when it ends).
///
/// When accept fails (EMFILE, ENFILE, ENOBUFS: the process or the system is out of
/// descriptors or memory), the waiting client stays in the backlog and the listener stays
/// readable; polling it again at once would spin. So the server stops watching the listener
/// for `acceptBackoff` and tries again after.
public final class ControlServer: Sendable {
    public static let defaultMaxClients = 32
    public static let acceptBackoff: Duration = .milliseconds(250)
    /// What a client beyond `maxClients` reads before its connection is closed.
    static let refusal = Array("{\"error\":\"too many control clients; try again\"}\n".utf8)

    public let socket: UnixControlSocket
    let maxClients: Int
    let requestTimeout: Duration
    let replyTimeout: Duration
    /// Requests read, for the control thread, and the eventfd that wakes it.
    private let inbox = Mutex<[ControlRequest]>([])
    private let requestsReady: EventFD
    /// Replies from the control thread, by client, and the eventfd that wakes the server thread.
    private let outbox = Mutex<[(client: UInt64, reply: [UInt8])]>([])
    private let repliesReady: EventFD

    public init(socket: UnixControlSocket, maxClients: Int = defaultMaxClients,
                requestTimeout: Duration = .seconds(2), replyTimeout: Duration = .seconds(5)) throws(SystemError) {
        precondition(maxClients > 0, "a control socket serves at least one client")
        self.socket = socket
        self.maxClients = maxClients
        self.requestTimeout = requestTimeout
        self.replyTimeout = replyTimeout
        requestsReady = try EventFD()
        repliesReady = try EventFD()
    }

    /// Readable while requests wait for `takeRequests()`.
    public var fileDescriptor: Int32 { requestsReady.fileDescriptor }

    /// The requests read since the last call, oldest first. For the control thread.
    public func takeRequests() -> [ControlRequest] { Self.take(inbox, signalled: requestsReady) }

    /// The server thread's loop: serves clients until `stop` becomes readable, then closes
    /// them. The socket itself stays open; its owner closes it after this returns.
    public func run(stop: EventFD) throws(SystemError) {
        var loop = try ControlServerLoop(server: self, stop: stop)
        defer { loop.closeAll() }
        while try loop.turn() {}
    }

    /// A complete request line from the server thread, for the control thread.
    func deliver(_ request: ControlRequest) {
        inbox.withLock { $0.append(request) }
        try? requestsReady.signal()
    }

    /// Queues `reply` for the server thread to write to `client`; dropped if the client is gone.
    func post(_ reply: [UInt8], to client: UInt64) {
        outbox.withLock { $0.append((client, reply)) }
        try? repliesReady.signal()
    }

    /// The replies posted since the last call. For the server thread.
    func takeReplies() -> [(client: UInt64, reply: [UInt8])] { Self.take(outbox, signalled: repliesReady) }

    var repliesFileDescriptor: Int32 { repliesReady.fileDescriptor }

    private static func take<Item>(_ queue: borrowing Mutex<[Item]>, signalled eventFD: EventFD) -> [Item] {
        // Drained before taking, so an item added in between signals again.
        _ = try? eventFD.drain()
        return queue.withLock { items in
            defer { items.removeAll(keepingCapacity: true) }
            return items
        }
    }
}

/// A request line from a control client, for the control thread to answer exactly once.
public struct ControlRequest: Sendable {
    public let line: String
    /// The asking process's user id (SO_PEERCRED), for logging or finer checks than the
    /// socket's file mode; nil if the kernel would not say.
    public let peerUserID: UInt32?
    let client: UInt64
    let server: ControlServer

    /// Sends `reply` to the client, which reads until the connection closes after it.
    public func respond(_ reply: [UInt8]) { server.post(reply, to: client) }
}
