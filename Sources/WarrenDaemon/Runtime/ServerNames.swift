import Logging
import Synchronization
import WarrenLinux
import WarrenNode
import WarrenWire

/// The configured servers given by name (`nat.stun`), looked up on a thread of their own,
/// since the resolver blocks: at start, again soon while one fails, and every few minutes, so
/// a changed DNS record is followed and a resolver that was not up at boot is asked again.
/// The control thread takes the latest answers for the node and never waits for one.
final class ServerNames: Sendable {
    static let refreshInterval: Duration = .seconds(300)
    static let retryInterval: Duration = .seconds(10)

    let names: [HostPort]
    /// The last answer for each name, and a count of the changes.
    private let answers: Mutex<(generation: UInt64, byName: [HostPort: STUNServerAddress])>

    init(_ servers: [HostPort]) {
        names = servers.filter { $0.endpoint == nil }
        answers = Mutex((0, [:]))
    }

    /// The answers and their generation, if they changed since `generation`.
    func answers(after generation: UInt64) -> (UInt64, [HostPort: STUNServerAddress])? {
        answers.withLock { $0.generation == generation ? nil : ($0.generation, $0.byName) }
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
                let address: STUNServerAddress = switch answer {
                case .success(let endpoint): .resolved(endpoint)
                case .failure(let failure): .failed("\(failure)")
                }
                let changed = answers.withLock { answers in
                    guard answers.byName[name] != address else { return false }
                    answers.byName[name] = address
                    answers.generation += 1
                    return true
                }
                if case .failure = answer { failed = true }
                guard changed else { continue }
                switch answer {
                case .success(let endpoint):
                    logger.info("STUN server name resolved", metadata: .init([.server: "\(name)", .address: "\(endpoint)"]))
                case .failure(let failure):
                    logger.warning("cannot resolve STUN server name", metadata: .init([.server: "\(name)", .reason: "\(failure)"]))
                }
            }
            let wait = failed ? Self.retryInterval : Self.refreshInterval
            if let ready = try? poller.wait(timeoutMilliseconds: Int32(wait.nanosecondsValue / 1_000_000)), ready > 0 { return }
        }
    }
}
