public import WarrenWire

/// What an exit lets out to the internet: rules tried first to last, the first that matches
/// a packet deciding, as in Tor's exit policies. In front of the operator's rules stand those
/// an operator cannot undo (the overlay and the exit's own addresses: traffic from circuits
/// must not reach members who did not opt in, nor the exit's own services) and, unless turned
/// off, the rejection of every destination that is not on the public internet; behind them,
/// unless the operator's own rules end in a rule that matches everything, a preset.
public struct ExitPolicy: Sendable {
    /// Tor's two stock policies (tor 0.4.7, src/core/or/policies.c), applied to TCP and UDP
    /// alike, since here they see packets, not streams.
    public enum Preset: String, CaseIterable, Sendable {
        /// Everything but the ports most abused from exits: SMTP, NNTP, Windows file
        /// sharing, and the old peer-to-peer networks' defaults.
        case `default`
        /// Only the ports of well-known interactive and secure services (the web, mail
        /// retrieval and submission, ssh, chat, DNS and the like), and ping: the preset
        /// that draws the fewest complaints. Tor carries no ICMP; here ping and path-MTU
        /// discovery need it.
        case reduced

        var rules: [ExitPolicyRule] {
            switch self {
            case .default:
                [ExitPolicyRule(.reject, ports: Self.defaultRejectedPorts)]
            case .reduced:
                [ExitPolicyRule(.accept, .icmp), ExitPolicyRule(.accept, ports: Self.reducedAcceptedPorts)]
            }
        }

        var otherwise: ExitPolicyRule.Action { self == .default ? .accept : .reject }

        static let defaultRejectedPorts: [ClosedRange<UInt16>] = [
            25...25, 119...119, 135...139, 445...445, 563...563, 1214...1214, 4661...4666, 6346...6429, 6699...6699, 6881...6999,
        ]
        static let reducedAcceptedPorts: [ClosedRange<UInt16>] = [
            20...23, 43...43, 53...53, 79...81, 88...88, 110...110, 143...143, 194...194, 220...220, 389...389, 443...443,
            464...465, 531...531, 543...544, 554...554, 563...563, 587...587, 636...636, 706...706, 749...749, 873...873,
            902...904, 981...981, 989...995, 1194...1194, 1220...1220, 1293...1293, 1500...1500, 1533...1533, 1677...1677,
            1723...1723, 1755...1755, 1863...1863, 2082...2083, 2086...2087, 2095...2096, 2102...2104, 3128...3128,
            3389...3389, 3690...3690, 4321...4321, 4643...4643, 5050...5050, 5190...5190, 5222...5223, 5228...5228,
            5900...5900, 6660...6669, 6679...6679, 6697...6697, 8000...8000, 8008...8008, 8074...8074, 8080...8080,
            8082...8082, 8087...8088, 8232...8233, 8332...8333, 8443...8443, 8888...8888, 9418...9418, 9999...10000,
            11371...11371, 19294...19294, 19638...19638, 50002...50002, 64738...64738,
        ]
    }

    /// Destinations that are not on the public internet, or are on it only from the exit's
    /// own network: unspecified, loopback, RFC 1918, shared CGNAT space, link-local, IETF
    /// protocol assignments, benchmarking, multicast and reserved; IPv6 unique-local,
    /// link-local, site-local and multicast, and the IPv6 forms of IPv4 addresses (mapped,
    /// NAT64) through which any of those could be reached.
    public static let nonPublic: [IPPrefix] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/127", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ].map { IPPrefix($0)! }

    /// The rules in the order they are tried, those in front and the preset's included.
    public let rules: [ExitPolicyRule]
    /// What a packet that no rule matches gets.
    public let otherwise: ExitPolicyRule.Action

    public enum Verdict: Hashable, Sendable {
        case accept
        /// By `rules[rule]`, or by `otherwise` when nil.
        case reject(rule: Int?)
        /// A packet whose destination or transport header cannot be read.
        case unreadable
    }

    /// `never`: the overlay's prefixes and the exit's own addresses, rejected whatever the
    /// operator writes. A catch-all among `operatorRules` ends the policy there.
    public init(_ operatorRules: [ExitPolicyRule], preset: Preset = .default, rejectNonPublic: Bool = true, never: [IPPrefix]) {
        var rules = never.map { ExitPolicyRule(.reject, to: $0) }
        if rejectNonPublic { rules += Self.nonPublic.map { ExitPolicyRule(.reject, to: $0) } }
        if let catchAll = operatorRules.firstIndex(where: \.isCatchAll) {
            self.rules = rules + operatorRules[..<catchAll]
            otherwise = operatorRules[catchAll].action
        } else {
            self.rules = rules + operatorRules + preset.rules
            otherwise = preset.otherwise
        }
    }

    /// The verdict on an IP packet leaving through this exit.
    public func verdict(for packet: UnsafeRawBufferPointer) -> Verdict {
        guard let destination = IPPacket.destination(packet), let transport = IPPacket.transport(packet) else { return .unreadable }
        return verdict(destination, transport)
    }

    public func verdict(_ destination: IPAddress, _ transport: IPPacket.Transport) -> Verdict {
        for (index, rule) in rules.enumerated() where rule.matches(destination, transport) {
            return rule.action == .accept ? .accept : .reject(rule: index)
        }
        return otherwise == .accept ? .accept : .reject(rule: nil)
    }
}
