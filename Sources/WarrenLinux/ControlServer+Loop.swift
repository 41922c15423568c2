import WarrenWire

/// The `ControlServer` thread's state: its poller, its clients by token and whether the
/// listener is paused. Created and driven by `ControlServer.run(stop:)` only.
struct ControlServerLoop {
    private enum Token {
        static let listener: UInt64 = 0
        static let stop: UInt64 = 1
        static let replies: UInt64 = 2
        /// Clients count up from here; a token is never reused, so an event or a reply for a
        /// client already closed finds nobody rather than someone else.
        static let firstClient: UInt64 = 3
    }

    private let server: ControlServer
    private let poller: Poller
    private var clients: [UInt64: ControlConnection] = [:]
    private var nextClient = Token.firstClient
    /// While the listener is unwatched after an accept error: when to watch it again.
    private var listenerPausedUntil: Instant?

    init(server: ControlServer, stop: EventFD) throws(SystemError) {
        self.server = server
        poller = try Poller(maxEvents: 16)
        try poller.add(server.socket.fileDescriptor, token: Token.listener)
        try poller.add(stop.fileDescriptor, token: Token.stop)
        try poller.add(server.repliesFileDescriptor, token: Token.replies)
    }

    /// Waits for the next events or deadline and handles them; false once `stop` is readable.
    mutating func turn() throws(SystemError) -> Bool {
        let ready = try poller.wait(timeoutMilliseconds: waitMilliseconds(now: MonotonicClock.now()))
        let now = MonotonicClock.now()
        for i in 0..<ready {
            switch poller.token(at: i) {
            case Token.stop: return false
            case Token.listener: acceptClients(now: now)
            case Token.replies: startReplies(now: now)
            case let token: serve(token, events: poller.events(at: i))
            }
        }
        expire(now: MonotonicClock.now())
        return true
    }

    mutating func closeAll() {
        for client in clients.values { client.close() }
        clients.removeAll()
    }

    private func waitMilliseconds(now: Instant) -> Int32 {
        let deadlines = clients.values.compactMap(\.deadline) + (listenerPausedUntil.map { [$0] } ?? [])
        guard let next = deadlines.min() else { return -1 }
        return Int32(clamping: max(0, (next.since(now).nanosecondsValue + 999_999) / 1_000_000))
    }

    private mutating func acceptClients(now: Instant) {
        while true {
            let accepted: ControlConnection?
            do {
                accepted = try server.socket.accept(deadline: now + server.requestTimeout)
            } catch {
                // Out of descriptors or memory: the client stays queued and the listener
                // readable; watching it now would spin. Look again after a pause.
                _ = try? poller.remove(server.socket.fileDescriptor)
                listenerPausedUntil = now + ControlServer.acceptBackoff
                return
            }
            guard let client = accepted else { return }
            guard clients.count < server.maxClients else {
                // Told why and closed: a fresh socket's buffer always takes the short line.
                client.startReply(ControlServer.refusal, deadline: now)
                _ = try? client.write()
                client.close()
                continue
            }
            let token = nextClient
            nextClient += 1
            guard (try? poller.add(client.fileDescriptor, token: token)) != nil else {
                client.close()
                continue
            }
            clients[token] = client
        }
    }

    private mutating func serve(_ token: UInt64, events: PollEvents) {
        guard let client = clients[token] else { return }
        switch client.phase {
        case .reading:
            do {
                switch try client.read() {
                case .line(let line):
                    // Until the reply comes, only a hang-up matters (reported unasked).
                    try poller.modify(client.fileDescriptor, token: token, events: [])
                    server.deliver(ControlRequest(line: line, peerUserID: try? client.peerUserID(), client: token, server: server))
                case .incomplete:
                    break
                case .ended:
                    close(token)
                }
            } catch {
                close(token)
            }
        case .waiting:
            // The client hung up: its reply, when it comes, has nowhere to go.
            if !events.isDisjoint(with: [.hangup, .error]) { close(token) }
        case .writing:
            flush(token, client)
        }
    }

    private mutating func startReplies(now: Instant) {
        for (token, reply) in server.takeReplies() {
            guard let client = clients[token], client.phase == .waiting else { continue }
            client.startReply(reply, deadline: now + server.replyTimeout)
            flush(token, client)
        }
    }

    /// Writes what the client's socket takes; closes the client once the reply is out (the
    /// client reads until then), or watches for room for the rest.
    private mutating func flush(_ token: UInt64, _ client: ControlConnection) {
        do {
            if try client.write() {
                close(token)
            } else {
                try poller.modify(client.fileDescriptor, token: token, events: .writable)
            }
        } catch {
            close(token)
        }
    }

    private mutating func expire(now: Instant) {
        if let until = listenerPausedUntil, now >= until {
            listenerPausedUntil = (try? poller.add(server.socket.fileDescriptor, token: Token.listener)) == nil
                ? now + ControlServer.acceptBackoff : nil
        }
        for (token, client) in clients {
            if let deadline = client.deadline, now >= deadline { close(token) }
        }
    }

    private mutating func close(_ token: UInt64) {
        clients.removeValue(forKey: token)?.close()
    }
}
