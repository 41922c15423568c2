import ArgumentParser
import WarrenCircuit
import WarrenDaemon
import WarrenLinux
import WarrenPKI

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
            if loaded.exit.enabled {
                do {
                    try ExitHost.checkPools(loaded, certificate: identity.certificate)
                } catch {
                    throw Failure.config("\(error)")
                }
            }
            print("\(loaded.file): OK — node \(body.name), \(body.ipv4) and \(body.ipv6), \(identity.peers.count) static peer(s), CA \(identity.authority.name)")
            if loaded.exit.enabled { describeExit(loaded, certificate: identity.certificate) }
        }
    }

    /// What serving as an exit will do: the policy as the daemon will apply it, and what the
    /// host still lacks.
    private func describeExit(_ config: Config, certificate: Certificate) {
        guard certificate.body.roles.contains(.exit) else {
            print("exit: enabled, but this node's certificate has no exit role: it will not serve as an exit")
            return
        }
        let policy = ExitHost.policy(config.exit, certificate: certificate, interface: config.interfaceName)
        print("exit: lends from \(config.exit.pools.map(\.description).joined(separator: " and ")); nftables table \(ExitRuleset.table(for: config.interfaceName))")
        print("exit policy (first match wins):")
        for rule in policy.rules { print("  \(rule)") }
        print("  \(policy.otherwise.rawValue) *")
        for sysctl in ExitHost.forwardingOff(pools: config.exit.pools) {
            print("exit: \(sysctl) is 0: nothing will leave through this exit (sysctl -w \(sysctl)=1)")
        }
    }
}
