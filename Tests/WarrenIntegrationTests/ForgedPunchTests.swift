import Foundation
import Testing

extension IntegrationTests {
    /// Security issue #11, finding 5: a member (mallory, with a session to the victim) sends
    /// punch notices of her own making, naming a third party's address and the victim's own
    /// loopback. The victim obeys notices only from its rendezvous nodes or in answer to its
    /// own requests, so it sends nothing there; nftables counts what leaves its namespace.
    @Test("forged punch notices from a member make the victim send nothing to the addresses they name")
    func forgedPunchNotices() async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let victim = try await lab.addNode("victim")
            let mallory = try await lab.addNode("mallory")
            // A member that is not running: the victim has no session with it to keep.
            let absent = try await lab.addNode("absent")
            try lab.configure(boot, peers: [])
            try lab.configure(victim, peers: [], bootstrap: [boot])
            try lab.configure(mallory, peers: [])
            for node in [boot, victim] { try await lab.start(node) }
            try await lab.waitUntilConnected(victim, to: [boot])
            // A third party on the victim's LAN, and its own loopback.
            let thirdParty = "192.168.77.200"
            try await Router.apply([
                "add table ip wit_forge",
                "add chain ip wit_forge output { type filter hook output priority filter; }",
                "add rule ip wit_forge output ip daddr \(thirdParty) udp dport 9 counter",
                "add rule ip wit_forge output ip daddr 127.0.0.1 udp dport 22 counter",
            ], in: victim.namespace)

            let forge = (lab.warren as NSString).deletingLastPathComponent + "/warren-forge"
            // Five notices naming another member at the third party's address, five at the
            // victim's loopback (within the victim's burst of 10).
            let sent = try await Command.check(mallory.exec(forge, "notices", mallory.configPath, victim.publicKey, victim.endpoint, "5",
                                                            absent.publicKey, "\(thirdParty):9", absent.publicKey, "127.0.0.1:22"))
            print(sent.stdout)
            try await Task.sleep(for: .seconds(2))
            let (counted, counters) = try await lab.counters(in: victim, table: "ip wit_forge")
            let packets = counted.map(\.packets)
            print("forged punch notices: packets from the victim to the named addresses \(packets)")
            #expect(packets == [0, 0], "\(counters)")
            let drops = try await lab.status(victim).drops
            #expect((drops["unsolicited"] ?? 0) > 0, "\(drops)")
            // Mallory's session itself still works: only the notices were refused.
            #expect(try await lab.status(victim).peer(mallory)?.state == "connected")
        }
    }
}
