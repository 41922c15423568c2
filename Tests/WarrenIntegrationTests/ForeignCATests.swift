import Testing

extension IntegrationTests {
    @Test("a node certified by another CA of the same network is refused and cannot reach the mesh")
    func nodeFromAnotherCAIsRefused() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            // Same network name and range, different key: only the CA's signature tells them apart.
            let impostorCA = try await lab.makeAuthority("impostor", networkName: "mynet")
            let eve = try await lab.addNode("eve", authority: impostorCA)
            try lab.configure(a, peers: [])
            try lab.configure(eve, peers: [a])
            try await lab.start(a)
            try await lab.start(eve)

            let status = try await lab.waitForStatus(a, "a lists a refusal because of another CA") { status in
                status.refusals.contains { $0.reason.contains("another CA") }
            }
            let refusal = try #require(status.refusals.first { $0.reason.contains("another CA") })
            #expect(refusal.endpoint == eve.endpoint)
            #expect(status.peer(eve)?.state != "connected")

            let ping = try await lab.ping(from: eve, to: a.overlayIPv4, deadlineSeconds: 2)
            #expect(!ping.succeeded, "eve reached a: \(ping)")
            let after = try await lab.status(a)
            #expect(after.peer(eve)?.state != "connected")
        }
    }
}
