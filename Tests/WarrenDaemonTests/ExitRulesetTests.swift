import CPrivateNamespace
import Glibc
import Synchronization
import Testing
import WarrenCircuit
import WarrenDaemon
import WarrenLinux
import WarrenWire

@Suite("Exit ruleset")
struct ExitRulesetTests {
    static let pools = [IPPrefix("100.96.0.0/16")!, IPPrefix("fd77::/64")!]
    static let overlay = [IPPrefix("10.8.0.0/16")!, IPPrefix("fd00:8::/64")!]

    static func policy(_ lines: [String], preset: ExitPolicy.Preset = .default) -> ExitPolicy {
        ExitPolicy(lines.map { try! ExitPolicyRule(parsing: $0) }, preset: preset, never: overlay)
    }

    @Test("the forward chain refuses in the daemon's order: loops, foreign sources, then the policy rule for rule")
    func forwardOrder() {
        let rules = ExitRuleset(interface: "warren0", pools: Self.pools, policy: Self.policy(["accept tcp 198.51.100.0/24 port 25,8000-8100"]))
        #expect(rules.table == "warren_exit_warren0")
        let lines = rules.install.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let expected = [
            "iifname \"warren0\" oifname \"warren0\" drop",
            "iifname \"warren0\" ip saddr != { 100.96.0.0/16 } drop",
            "iifname \"warren0\" ip6 saddr != { fd77::/64 } drop",
            "iifname \"warren0\" ip daddr 10.8.0.0/16 reject with icmpx type admin-prohibited",
            "iifname \"warren0\" ip6 daddr fd00:8::/64 reject with icmpx type admin-prohibited",
            "iifname \"warren0\" ip daddr 0.0.0.0/8 reject with icmpx type admin-prohibited",
            "iifname \"warren0\" ip daddr 198.51.100.0/24 meta l4proto tcp th dport { 25, 8000-8100 } accept",
            "iifname \"warren0\" meta l4proto { tcp, udp, udplite, sctp, dccp } th dport { 25, 119, 135-139, 445, 563, 1214, 4661-4666, 6346-6429, 6699, 6881-6999 } reject with icmpx type admin-prohibited",
            "iifname \"warren0\" accept",
            "oifname \"warren0\" ct state established,related accept",
            "oifname \"warren0\" drop",
            "ip saddr 100.96.0.0/16 oifname != \"warren0\" masquerade",
            "ip6 saddr fd77::/64 oifname != \"warren0\" masquerade",
        ]
        let positions = expected.map { line in lines.firstIndex(of: line) }
        #expect(!positions.contains(nil), "missing: \(zip(expected, positions).filter { $1 == nil }.map(\.0))")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(rules.removal == "delete table inet warren_exit_warren0\n")
    }

    @Test("without an IPv6 pool nothing IPv6 leaves; ICMP rules split by family; names become identifiers")
    func families() {
        let rules = ExitRuleset(interface: "wg-exit.1", pools: [Self.pools[0]],
                                policy: Self.policy(["accept icmp *", "reject icmp 2001:db8::/32", "reject *"]))
        #expect(rules.table == "warren_exit_wg_exit_1")
        #expect(rules.install.contains("iifname \"wg-exit.1\" meta nfproto ipv6 drop\n"))
        #expect(rules.install.contains("iifname \"wg-exit.1\" meta nfproto ipv4 meta l4proto icmp accept\n"))
        #expect(rules.install.contains("iifname \"wg-exit.1\" meta nfproto ipv6 meta l4proto ipv6-icmp accept\n"))
        #expect(rules.install.contains("ip6 daddr 2001:db8::/32 meta nfproto ipv6 meta l4proto ipv6-icmp reject"))
        #expect(!rules.install.contains("ip6 daddr 2001:db8::/32 meta nfproto ipv4"))
        #expect(rules.install.contains("iifname \"wg-exit.1\" reject with icmpx type admin-prohibited\n"))
    }

    /// Runs `body` on a thread of its own in a network namespace of its own, which goes when
    /// the thread ends: nothing the test installs can touch the host's firewall.
    func inPrivateNamespace(_ body: @escaping @Sendable () -> Void) throws {
        let thread = try OSThread(name: "nft-test") {
            precondition(private_network_namespace() == 0, "unshare(CLONE_NEWNET): errno \(errno)")
            body()
        }
        thread.join()
    }

    @Test("the kernel takes every preset's and a custom policy's rules, lists the table, and removal leaves nothing",
          .enabled(if: geteuid() == 0), arguments: [
              (["reject 198.51.100.0/24"], ExitPolicy.Preset.default),
              ([], .reduced),
              (["accept icmp *", "accept udp 2001:db8::/32 port 53", "accept tcp * port 443", "reject *"], .default),
          ])
    func kernelTakesIt(lines: [String], preset: ExitPolicy.Preset) throws {
        let rules = ExitRuleset(interface: "warren0", pools: Self.pools, policy: Self.policy(lines, preset: preset))
        let result = Mutex<[String]>([])
        try inPrivateNamespace {
            var outcome: [String] = []
            do {
                let nft = try Nftables()
                try nft.run(rules.install, "installing")
                // Installing again replaces the table rather than failing or doubling it.
                try nft.run(rules.install, "installing again")
                let listing = try nft.run("list table inet \(rules.table)\n", "listing")
                outcome.append(listing)
                try nft.run(rules.removal, "removing")
                outcome.append(try nft.run("list tables\n", "listing tables"))
            } catch {
                outcome.append("error: \(error)")
            }
            result.withLock { $0 = outcome }
        }
        let outcome = result.withLock { $0 }
        try #require(outcome.count == 2, "\(outcome)")
        #expect(outcome[0].contains("chain forward") && outcome[0].contains("masquerade"))
        #expect(outcome[0].components(separatedBy: "oifname \"warren0\" drop").count == 3, "the table was doubled: \(outcome[0])")
        #expect(!outcome[1].contains(rules.table))
    }

    @Test("a script the kernel refuses is an error naming what was being done and why")
    func refusal() throws {
        let nft = try Nftables()
        #expect(throws: NftablesError.self) { try nft.run("table inet x { chain y { frobnicate } }\n", "installing x") }
        do {
            try nft.run("table inet x { chain y { frobnicate } }\n", "installing x")
        } catch {
            #expect(error.operation == "installing x" && error.message.contains("Error"))
        }
    }
}
