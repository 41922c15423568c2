public import WarrenCircuit
public import WarrenWire

/// `[exit]`: serving as an exit to the internet for others' circuits.
extension Config {
    public struct Exit: Sendable, Equatable {
        /// Serve as an exit (the certificate must have the exit role too).
        public var enabled = false
        public var preset: ExitPolicy.Preset = .default
        /// Refuse every destination off the public internet (`ExitPolicy.nonPublic`).
        public var rejectPrivate = true
        /// The operator's rules, tried before the preset.
        public var rules: [ExitPolicyRule] = []
        /// The addresses lent to senders, at most one prefix per family; without an IPv6
        /// pool, no IPv6 leaves.
        public var pools: [IPPrefix] = Self.defaultPools

        public static let defaultPools = [IPPrefix("100.96.0.0/16")!, IPPrefix("fd77:6172:7265:6e00::/64")!]

        public var ipv4Pool: IPPrefix? { pools.first { $0.address.isIPv4 } }
        public var ipv6Pool: IPPrefix? { pools.first { !$0.address.isIPv4 } }
    }

    mutating func readExit(_ r: TableReader) throws(ConfigError) {
        guard let t = try r.table("exit") else { return }
        try t.allowOnly(["enabled", "preset", "reject_private", "policy", "pools"])
        if let enabled = try t.bool("enabled") { exit.enabled = enabled }
        if let name = try t.string("preset") {
            guard let preset = ExitPolicy.Preset(rawValue: name) else {
                throw t.error("preset", "\"\(name)\" is not one of \(ExitPolicy.Preset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            exit.preset = preset
        }
        if let reject = try t.bool("reject_private") { exit.rejectPrivate = reject }
        for (i, line) in try t.strings("policy").enumerated() {
            do {
                exit.rules.append(try ExitPolicyRule(parsing: line))
            } catch {
                throw t.error("policy[\(i)]", error.description)
            }
        }
        if t.table["pools"] != nil {
            exit.pools = []
            for (i, text) in try t.strings("pools").enumerated() {
                guard let prefix = IPPrefix(text), prefix.network == prefix else {
                    throw t.error("pools[\(i)]", "\"\(text)\" is not a network prefix (e.g. 100.96.0.0/16 or fd77::/64)")
                }
                let family = prefix.address.isIPv4 ? "IPv4" : "IPv6"
                guard !exit.pools.contains(where: { $0.address.isIPv4 == prefix.address.isIPv4 }) else {
                    throw t.error("pools[\(i)]", "a second \(family) pool (one per family)")
                }
                guard ExitLeases(ipv4: prefix.address.isIPv4 ? prefix : nil, ipv6: prefix.address.isIPv4 ? nil : prefix) != nil else {
                    throw t.error("pools[\(i)]", "\(prefix) is too small to lend addresses from (IPv4 /30 or wider, IPv6 /126 or wider)")
                }
                exit.pools.append(prefix)
            }
            guard !exit.pools.isEmpty else { throw t.error("pools", "no pool: an exit lends its senders addresses from at least one") }
        }
    }
}
