import Logging
import Synchronization
import WarrenLinux
import WarrenWire

/// The configured servers given by name (`nat.stun`), looked up on a thread of their own,
/// since the resolver blocks: at start, again soon while one fails, and every few minutes, so
/// a changed DNS record is followed and a resolver that was not up at boot is asked again.
/// The control thread reads the latest answers and never waits for one.
final class ServerNames: Sendable {
    static let refreshInterval: Duration = .seconds(300)
    static let retryInterval: Duration = .seconds(10)

    let names: [HostPort]
    private let answers: Mutex<[HostPort: Result<Endpoint, HostNameLookup.Failure>]>

    init(_ servers: [HostPort]) {
        names = servers.filter { $0.endpoint == nil }
        answers = Mutex([:])
    }

    /// The address `server` had at its last lookup, or why it had none; nil before the first.
    func endpoint(of server: HostPort) -> Result<Endpoint, HostNameLookup.Failure>? {
        if let endpoint = server.endpoint { return .success(endpoint) }
        return answers.withLock { $0[server] }
    }

    /// The lookup thread's body: returns when `stop` is signalled. Each change of a name's
    /// answer is logged once.
    func run(stop: EventFD, logger: Logger) {
        guard let poller = try? Poller(maxEvents: 1), (try? poller.add(stop.fileDescriptor, token: 0)) != nil else {
            logger.error("cannot wait for shutdown; STUN server names stay unresolved")
            return
        }
        defer { poller.close() }
        while true {
            var failed = false
            for name in names {
                // The first address: one server, one address, as a literal would give.
                let answer = HostNameLookup.endpoints(of: name.host, port: name.port).map { $0[0] }
                let previous = answers.withLock { answers in
                    defer { answers[name] = answer }
                    return answers[name]
                }
                if case .failure = answer { failed = true }
                guard answer != previous else { continue }
                switch answer {
                case .success(let endpoint):
                    logger.info("STUN server name resolved", metadata: ["server": "\(name)", "address": "\(endpoint)"])
                case .failure(let failure):
                    logger.warning("cannot resolve STUN server name", metadata: ["server": "\(name)", "error": "\(failure)"])
                }
            }
            let wait = failed ? Self.retryInterval : Self.refreshInterval
            if let ready = try? poller.wait(timeoutMilliseconds: Int32(wait.nanosecondsValue / 1_000_000)), ready > 0 { return }
        }
    }
}
