import ArgumentParser
import FoundationEssentials
import WarrenDaemon
import WarrenLinux
import WarrenWire

struct LookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup", abstract: "Look up who owns an overlay address in the DHT, through the running daemon.")

    @Argument(help: "An overlay IPv4 address, such as 10.8.0.42.") var address: String
    @Option(name: .shortAndLong, help: "The configuration file (to find the control socket).")
    var config: String = Config.defaultPath
    @Option(help: "The control socket, overriding the config.") var socket: String?
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        try reporting {
            guard IPv4Address(address) != nil else { throw Failure.config("\"\(address)\" is not an IPv4 address") }
            let path = try socket ?? (FileAccess.exists(path: config) ? loadConfig(config).controlSocket : Config(defaultsFor: config).controlSocket)
            let reply: [UInt8]
            do {
                reply = try UnixControlSocket.request(path: path, line: "lookup \(address)", timeoutMilliseconds: 15_000)
            } catch {
                throw Failure.runtime("\(error)")
            }
            if json {
                print(String(decoding: reply, as: UTF8.self))
                return
            }
            guard let r = try? JSONDecoder().decode(LookupReport.self, from: Data(reply)) else {
                throw Failure.runtime("the daemon's reply is not a lookup report: \(String(decoding: reply, as: UTF8.self))")
            }
            if r.found {
                print("\(r.address) is \(r.name ?? "?") at \(r.endpoints.joined(separator: ", "))")
            } else {
                print("\(r.address): no record found")
            }
            print("\(r.hops) hop(s), \(r.queries) queries, \(r.milliseconds) ms; closest nodes that answered:")
            for c in r.closest { print("  \(c)") }
            if !r.found { throw ExitCode(1) }
        }
    }
}
