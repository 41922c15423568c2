import Logging
public import WarrenCircuit
import WarrenLinux
public import WarrenPKI
public import WarrenWire

/// What serving as an exit changes on the host: the exit's pools are routed into the
/// overlay interface (answers from the internet to a lent address come back to the daemon;
/// the routes go with the interface), and its nftables table (`ExitRuleset`) is installed
/// at start, replacing one a killed daemon left, and removed at stop.
public struct ExitHost {
    let ruleset: ExitRuleset

    /// The policy this node's config and certificate make: the overlay and the host's own
    /// addresses refused before anything the operator writes.
    public static func policy(_ exit: Config.Exit, certificate: Certificate, interface: String) -> ExitPolicy {
        let own = LocalAddresses.list(excludingInterface: interface).map(IPPrefix.init(host:))
        return ExitPolicy(exit.rules, preset: exit.preset, rejectNonPublic: exit.rejectPrivate,
                          never: [certificate.body.ipv4.network, certificate.body.ipv6.network] + own)
    }

    /// A pool that overlaps the overlay would lend members' addresses, and one that overlaps
    /// a network the host is on would route its neighbours into the tunnel: config errors.
    public static func checkPools(_ config: Config, certificate: Certificate) throws(ConfigError) {
        let overlay = [certificate.body.ipv4.network, certificate.body.ipv6.network]
        let host = LocalAddresses.networks(excludingInterface: config.interfaceName).map(\.network)
        for (i, pool) in config.exit.pools.enumerated() {
            if let network = overlay.first(where: { $0.overlaps(pool) }) {
                throw ConfigError(file: config.file, key: "exit.pools[\(i)]", problem: "\(pool) overlaps the overlay network \(network)")
            }
            if let network = host.first(where: { $0.overlaps(pool) }) {
                throw ConfigError(file: config.file, key: "exit.pools[\(i)]", problem: "\(pool) overlaps \(network), a network this host is on")
            }
        }
    }

    /// Which forwarding sysctls the exit's pools need and the host has off: nothing leaves
    /// through an exit without them, and they are the operator's to set.
    public static func forwardingOff(pools: [IPPrefix]) -> [String] {
        var off: [String] = []
        if pools.contains(where: \.address.isIPv4), Sysctl.value("net.ipv4.ip_forward") != "1" { off.append("net.ipv4.ip_forward") }
        if pools.contains(where: { !$0.address.isIPv4 }), Sysctl.value("net.ipv6.conf.all.forwarding") != "1" {
            off.append("net.ipv6.conf.all.forwarding")
        }
        return off
    }

    /// Nil when this node serves as no exit: not enabled, or (with a warning) its
    /// certificate lacks the exit role.
    static func start(config: Config, certificate: Certificate, interface: String, logger: Logger) throws(StartupError) -> ExitHost? {
        guard config.exit.enabled else { return nil }
        guard certificate.body.roles.contains(.exit) else {
            logger.warning("not serving as an exit: this node's certificate has no exit role")
            return nil
        }
        do {
            try checkPools(config, certificate: certificate)
        } catch {
            throw StartupError(error.description, isConfig: true)
        }
        let ruleset = ExitRuleset(interface: interface, pools: config.exit.pools,
                                  policy: policy(config.exit, certificate: certificate, interface: interface))
        do {
            try route(config.exit.pools, into: interface, logger: logger)
        } catch {
            throw StartupError("routing the exit's pools into \(interface): \(error)")
        }
        do {
            try Nftables().run(ruleset.install, "installing nftables table \(ruleset.table)")
        } catch {
            throw StartupError("setting up the exit: \(error)")
        }
        for sysctl in forwardingOff(pools: config.exit.pools) {
            logger.warning("exit: \(sysctl) is 0, so nothing leaves through this exit: set it to 1 (sysctl -w \(sysctl)=1)")
        }
        logger.info("serving as an exit: nftables table \(ruleset.table) installed, lending from \(config.exit.pools.map(\.description).joined(separator: " and "))")
        return ExitHost(ruleset: ruleset)
    }

    /// Answers to lent addresses come back through the overlay interface; on a host with
    /// IPv6 off, an IPv6 pool lends nothing.
    private static func route(_ pools: [IPPrefix], into interface: String, logger: Logger) throws(SystemError) {
        let netlink = try Netlink()
        let index = try netlink.interfaceIndex(name: interface)
        for pool in pools {
            do {
                try netlink.addRoute(pool, index: index)
            } catch {
                guard !pool.address.isIPv4, Netlink.isFamilyDisabled(error) else { throw error }
                logger.warning("IPv6 is disabled on this host: the exit lends no IPv6 addresses")
            }
        }
    }

    func stop(logger: Logger) {
        do {
            try Nftables().run(ruleset.removal, "removing nftables table \(ruleset.table)")
        } catch {
            logger.warning("\(error)")
        }
    }
}
