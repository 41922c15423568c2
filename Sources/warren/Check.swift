import ArgumentParser
import WarrenDaemon
import WarrenLinux

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration: syntax, keys, certificates, permissions, the port.",
        discussion: "Prints one line naming the file, key and problem, and exits with status 2, on the first problem found.")

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String = Config.defaultPath

    func run() throws {
        try reporting {
            let loaded = try loadConfig(config)
            let identity = try loadIdentity(loaded)
            // The port must be free now for `warren up` to work (unless it is already running).
            do {
                let socket = try UDPSocket(port: loaded.listenPort, bufferBytes: 1 << 16)
                socket.close()
            } catch {
                throw Failure.config(ConfigError(file: loaded.file, key: "listen.port", problem: "\(error)").description)
            }
            let body = identity.certificate.body
            print("\(loaded.file): OK — node \(body.name), \(body.ipv4) and \(body.ipv6), \(identity.peers.count) static peer(s), CA \(identity.authority.name)")
        }
    }
}
