import ArgumentParser
import FoundationEssentials
import WarrenDaemon
import WarrenNode
import WarrenWire

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup", abstract: "Look up who owns an overlay address in the DHT, through the running daemon.")

    @Argument(help: "An overlay IPv4 address, such as 10.8.0.42.") var address: String
    @OptionGroup var daemon: DaemonConnection

    func run() throws {
        try reporting {
            guard IPv4Address(address) != nil else { throw Failure.config("\"\(address)\" is not an IPv4 address") }
            guard let r = try daemon.reply(to: "lookup \(address)", as: LookupReport.self, what: "a lookup report",
                                           timeoutMilliseconds: 15_000) else { return }
            if r.found {
                print("\(r.address) is \(r.name ?? "?") at \(r.endpoints.joined(separator: ", "))".terminalSafe)
                if !r.rendezvous.isEmpty { print("rendezvous: \(r.rendezvous.joined(separator: ", "))".terminalSafe) }
            } else {
                print("\(r.address): no record found".terminalSafe)
            }
            print("\(r.hops) hop(s), \(r.queries) queries, \(r.milliseconds) ms; closest nodes that answered:")
            for c in r.closest { print("  \(c.terminalSafe)") }
            if !r.found { throw ExitCode(1) }
        }
    }
}
