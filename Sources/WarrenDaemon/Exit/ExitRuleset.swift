public import WarrenCircuit
public import WarrenWire

/// The nftables rules an exit installs at start and removes at stop, in a table of its own
/// (`inet warren_exit_<interface>`), so they never touch the operator's:
///
/// - forward: of what comes out of the overlay interface, only packets from the exit's
///   address pools may leave, never back into the overlay, and the exit policy again, rule
///   for rule (the daemon checks each packet first; these are the second line of defence,
///   should a packet ever reach the kernel unjudged); into the overlay interface, only
///   answers to flows that left (no one reaches a sender's pool address unasked);
/// - postrouting: what leaves from a pool address is masqueraded behind the address of the
///   interface it leaves by.
///
/// Refusals answer ICMP administratively prohibited, as the daemon does. Forwarding itself
/// (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding) stays the operator's to turn on.
public struct ExitRuleset: Sendable, Equatable {
    public let table: String
    /// Creates the table (replacing one a crashed daemon left), in one transaction.
    public let install: String
    public let removal: String

    public init(interface: String, pools: [IPPrefix], policy: ExitPolicy) {
        table = Self.table(for: interface)
        let tun = "iifname \"\(interface)\""
        var forward = [
            "type filter hook forward priority filter; policy accept;",
            "\(tun) oifname \"\(interface)\" drop",
        ]
        for family in [true, false] {
            let selector = family ? "ip saddr" : "ip6 saddr"
            let own = pools.filter { $0.address.isIPv4 == family }.map(\.description)
            forward.append(own.isEmpty ? "\(tun) meta nfproto \(family ? "ipv4" : "ipv6") drop"
                                       : "\(tun) \(selector) != { \(own.joined(separator: ", ")) } drop")
        }
        forward += policy.rules.flatMap { Self.statements($0, tun) }
        forward.append("\(tun) \(Self.verdict(policy.otherwise))")
        forward += [
            "oifname \"\(interface)\" ct state established,related accept",
            "oifname \"\(interface)\" drop",
        ]
        let postrouting = [
            "type nat hook postrouting priority srcnat; policy accept;",
        ] + pools.map { "\($0.address.isIPv4 ? "ip" : "ip6") saddr \($0) oifname != \"\(interface)\" masquerade" }
        install = """
            add table inet \(table)
            delete table inet \(table)
            table inet \(table) {
                chain forward {
            \(forward.map { "        " + $0 }.joined(separator: "\n"))
                }
                chain postrouting {
            \(postrouting.map { "        " + $0 }.joined(separator: "\n"))
                }
            }

            """
        removal = "delete table inet \(table)\n"
    }

    /// The table's name: the interface's, made an nftables identifier.
    public static func table(for interface: String) -> String {
        "warren_exit_" + String(interface.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// One policy rule as nft statements: two for ICMP (ICMP over IPv4, ICMPv6 over IPv6).
    static func statements(_ rule: ExitPolicyRule, _ tun: String) -> [String] {
        var match = [tun]
        if let prefix = rule.destination { match.append("\(prefix.address.isIPv4 ? "ip" : "ip6") daddr \(prefix)") }
        let ports = rule.ports.map { "th dport { " + ExitPolicyRule.describe($0, separator: ", ") + " }" }
        let action = verdict(rule.action)
        switch rule.protocols {
        case .icmp:
            return [("ipv4", "icmp"), ("ipv6", "ipv6-icmp")].compactMap { family, proto in
                // A rule for one family's prefix says nothing of the other's.
                if let prefix = rule.destination, prefix.address.isIPv4 != (family == "ipv4") { return nil }
                return (match + ["meta nfproto \(family) meta l4proto \(proto)", action]).joined(separator: " ")
            }
        case .tcp, .udp:
            return [(match + ["meta l4proto \(rule.protocols.rawValue)"] + (ports.map { [$0] } ?? []) + [action]).joined(separator: " ")]
        case .any:
            let transport = ports.map { ["meta l4proto { tcp, udp, udplite, sctp, dccp }", $0] } ?? []
            return [(match + transport + [action]).joined(separator: " ")]
        }
    }

    static func verdict(_ action: ExitPolicyRule.Action) -> String {
        action == .accept ? "accept" : "reject with icmpx type admin-prohibited"
    }
}
