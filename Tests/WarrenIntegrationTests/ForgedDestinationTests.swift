import Foundation
import Testing

extension IntegrationTests {
    /// Security issue #11, finding 9: a member (mallory, with a session to the victim) sends
    /// packets through the session to an address that is neither the victim's nor in a subnet
    /// its certificate routes: a network the victim can reach (here, a lab node's underlay
    /// address). The victim delivers none of them to its interface; packets to its own
    /// address still arrive. nftables counts what comes out of the victim's warren0.
    @Test("packets from a member for destinations the victim does not own never reach its interface")
    func forgedDestinations() async throws {
        try await Lab.run { lab in
            let victim = try await lab.addNode("victim")
            let mallory = try await lab.addNode("mallory")
            let other = try await lab.addNode("other")
            try lab.configure(victim, peers: [])
            try lab.configure(mallory, peers: [])
            try await lab.start(victim)
            let victimAddress = Lab.stripPrefixLength(victim.overlayIPv4)
            try await Router.apply([
                "add table ip wit_dest",
                "add chain ip wit_dest pre { type filter hook prerouting priority -300; }",
                "add rule ip wit_dest pre iifname \"warren0\" ip daddr \(other.underlay) counter",
                "add rule ip wit_dest pre iifname \"warren0\" ip daddr \(victimAddress) counter",
            ], in: victim.namespace)

            let forge = (lab.warren as NSString).deletingLastPathComponent + "/warren-forge"
            let sent = try await Command.check(mallory.exec(forge, "packets", mallory.configPath, victim.publicKey, victim.endpoint,
                                                            victimAddress, "5", other.underlay, victimAddress))
            print(sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            try await Task.sleep(for: .milliseconds(500))
            let (counted, counters) = try await lab.counters(in: victim, table: "ip wit_dest")
            let packets = counted.map(\.packets)
            let drops = try await lab.status(victim).drops
            print("forged destinations: packets out of the victim's warren0 [to \(other.underlay), to itself] \(packets); drops \(drops)")
            #expect(packets == [0, 5], "\(counters)")
            #expect((drops["destination_not_local"] ?? 0) >= 5, "\(drops)")
        }
    }
}
