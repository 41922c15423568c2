import Testing

extension IntegrationTests {
    /// Two nodes behind port-restricted NATs, with a rule at b's NAT that drops everything
    /// from a's: only the bootstrap node, a relay, can join them. An ssh session starts over
    /// the relay; then the rule goes, the probes each side sends straight to the other get
    /// answered, and the packets move to the direct path under the running session.
    @Test("an ssh session opened while relayed keeps running when the path upgrades to direct")
    func relayedSSHUpgradesToDirect() async throws {
        try Prerequisites.requireTools(["ssh", "sshd", "ssh-keygen"])
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot", relay: true)
            let homeB = try await lab.addNATRouter("homeb", kind: .portRestricted)
            let homeA = try await lab.addNATRouter("homea", kind: .portRestricted)
            let b = try await lab.addNode("b", behind: homeB)
            let a = try await lab.addNode("a", behind: homeA)
            try await Router.apply([
                "add table ip wit_block",
                "add chain ip wit_block forward { type filter hook forward priority -10; }",
                "add rule ip wit_block forward ip saddr \(homeA.publicAddress) meta l4proto udp drop",
            ], in: homeB.namespace)
            try await lab.startAfterSettling(boot: boot, first: b, then: a)
            let server = try await lab.startSSHServer(in: b, address: b.overlayIPv4)
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            #expect(try await lab.status(a).peer(b)?.path == "relayed via boot")
            #expect(try await lab.status(b).peer(a)?.path == "relayed via boot")

            // Twenty lines over ten seconds; the block goes once the second has come back
            // over the relay, so the session is open and running on it.
            let session = try lab.startSSH(from: a, to: server, "for i in $(seq 1 20); do echo line$i; sleep 0.5; done")
            try await session.waitForLine("line2", timeout: .seconds(10))
            #expect(try await lab.status(a).peer(b)?.path == "relayed via boot", "the session must start on the relay")
            try await Router.apply(["delete table ip wit_block"], in: homeB.namespace)
            let unblocked = ContinuousClock.now
            try await lab.waitForStatus(a, timeout: .seconds(20), "a's packets to b go directly") { $0.peer(b)?.path == "direct" }
            print("relay to direct: a's path direct \(ContinuousClock.now - unblocked) after the block was lifted")
            try await lab.waitForStatus(b, timeout: .seconds(20), "b's packets to a go directly") { $0.peer(a)?.path == "direct" }

            try #require(try await session.waitForExit(timeout: .seconds(30)), "ssh still running: \(session.log)")
            #expect(session.state == "exited with status 0", "\(session.state): \(session.log)")
            #expect(session.log.split(separator: "\n").filter { $0.hasPrefix("line") }.count == 20, "\(session.log)")
            #expect(try await lab.status(a).peer(b)?.endpoint == "\(homeB.publicAddress):40001")
            let relayed = try #require(try await lab.status(boot).relay)
            #expect(relayed.pairs == 1 && relayed.packets > 0, "boot relayed \(relayed)")
        }
    }
}
