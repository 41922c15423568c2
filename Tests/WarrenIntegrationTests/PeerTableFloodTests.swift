import Foundation
import Testing

extension IntegrationTests {
    /// Security issue 11, finding 4: a member (mallory, one of the victim's DHT contacts)
    /// answers every lookup query with 20 contacts of invented keys, all at one address.
    /// Meanwhile the victim looks up one unknown address a second, so it keeps asking her.
    /// The victim may try each invented contact, but only within its handshake budget for
    /// that address, and keeps so few of them that a member it never met is still answered.
    /// nftables counts what the victim sends to the named address. The attack runs a minute,
    /// as the issue asks; the bound checked is the budget for the time it ran (8 initiations
    /// at once, then one per 2 s).
    @Test("a member answering DHT queries with invented contacts fills no table and reflects bounded bytes")
    func inventedContactsFloodNothing() async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let victim = try await lab.addNode("victim")
            let mallory = try await lab.addNode("mallory")
            let newcomer = try await lab.addNode("newcomer")
            try lab.configure(boot, peers: [])
            try lab.configure(victim, peers: [], bootstrap: [boot])
            try lab.configure(mallory, peers: [])
            try lab.configure(newcomer, peers: [], bootstrap: [boot])
            for node in [boot, victim] { try await lab.start(node) }
            try await lab.waitUntilConnected(victim, to: [boot])
            // Nobody is at the address the invented contacts name.
            let target = "192.168.77.200"
            try await Router.apply([
                "add table ip wit_flood",
                "add chain ip wit_flood output { type filter hook output priority filter; }",
                "add rule ip wit_flood output ip daddr \(target) counter",
            ], in: victim.namespace)

            let attackSeconds = 60
            let forge = (lab.warren as NSString).deletingLastPathComponent + "/warren-forge"
            let attacker = try lab.startProcess("forge", mallory.exec(forge, "contacts", mallory.configPath, victim.publicKey,
                                                                      victim.endpoint, "\(target):9", "\(attackSeconds)"))
            let started = ContinuousClock.now
            // Packets to addresses nobody owns: each starts a lookup that asks mallory.
            var lookups = 0
            while ContinuousClock.now - started < .seconds(attackSeconds) {
                lookups += 1
                _ = try await Command.run(victim.exec("ping", "-4", "-n", "-c", "1", "-w", "1", "10.8.1.\(lookups % 250 + 1)"),
                                          timeout: .seconds(5))
            }
            #expect(try await attacker.waitForExit(timeout: .seconds(5)))
            print(attacker.log.trimmingCharacters(in: .whitespacesAndNewlines))

            // A member the victim never met reaches it: its handshake is answered.
            try await lab.start(newcomer)
            try await lab.requirePing(from: newcomer, to: victim.overlayIPv4)
            let elapsed = (ContinuousClock.now - started) / .seconds(1)

            let (counted, counters) = try await lab.counters(in: victim, table: "ip wit_flood")
            let packets = counted.first?.packets ?? -1, bytes = counted.first?.bytes ?? -1
            let status = try await lab.status(victim)
            print("invented contacts for \(Int(elapsed)) s, \(lookups) lookups: the victim sent \(packets) packets, \(bytes) bytes "
                  + "to \(target); it holds \(status.peers.count) peers; lookups queued \(status.dht.lookupsQueued ?? -1), "
                  + "refused \(status.dht.lookupsRefused ?? -1)")
            // An initiation is 344 bytes with its IP and UDP headers here; 400 leaves room for
            // longer certificates, not for more initiations.
            let budget = (8 + 0.5 * elapsed) * 400
            #expect(bytes > 0, "the victim never tried the invented contacts: the test proves nothing\n\(counters)")
            #expect(Double(bytes) <= budget, "\(bytes) bytes to \(target), budget \(Int(budget))")
            // At most the prospect pool (128), and the real members.
            #expect(status.peers.count <= 128 + 3, "\(status.peers.count) peers")
            #expect(status.peer(mallory)?.state == "connected")
        }
    }
}
