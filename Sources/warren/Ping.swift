import ArgumentParser
import WarrenDaemon
import WarrenNode

struct PingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "Send path probes to a peer inside its session and show each round trip and the path they took.",
        discussion: """
            Unlike ping(8) over the overlay, the probes are Warren control messages answered by the peer's daemon, \
            so the report also names the path: the peer's endpoint, whether it is on this host's LAN or reached \
            directly, and how that path was found. Exit status 1 if no probe came back.
            """)

    @Argument(help: "A peer's name or overlay address, such as b or 10.8.0.42.") var peer: String
    @Option(name: [.customShort("n"), .long], help: "How many probes (1–100), one every half second.") var count = 3
    @OptionGroup var daemon: DaemonConnection

    func validate() throws {
        guard (1...100).contains(count) else { throw ValidationError("--count must be 1–100") }
        guard !peer.isEmpty, !peer.contains(" ") else { throw ValidationError("a peer's name or overlay address, without spaces") }
    }

    func run() throws {
        try reporting {
            guard let r = try daemon.reply(to: "ping \(peer) \(count)", as: PingReport.self, what: "a ping report",
                                           timeoutMilliseconds: Int32(count) * 500 + 5000) else { return }
            if let error = r.error { throw Failure.runtime(error) }
            let path = [r.path?.description, r.foundBy].compactMap { $0 }.joined(separator: ", ")
            print("PING \(r.peer) (\(r.address)) over \(r.endpoint ?? "no endpoint yet")\(path.isEmpty ? "" : " (\(path))")".terminalSafe)
            for reply in r.replies { print("probe \(reply.sequence): \(Self.ms(reply.milliseconds))") }
            let times = r.replies.map(\.milliseconds)
            var summary = "\(r.sent) probes, \(r.replies.count) answered"
            if let low = times.min(), let high = times.max() {
                summary += ", min/avg/max \(Self.ms(low))/\(Self.ms(times.reduce(0, +) / Double(times.count)))/\(Self.ms(high))"
            }
            print(summary)
            if r.replies.isEmpty { throw ExitCode(1) }
        }
    }

    static func ms(_ value: Double) -> String { "\((value * 100).rounded() / 100) ms" }
}
