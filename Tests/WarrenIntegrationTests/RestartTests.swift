import Testing

extension IntegrationTests {
    @Test("a restarted node re-establishes its sessions by itself within seconds")
    func restartedNodeReconnects() async throws {
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            let (a, b) = (nodes[0], nodes[1])
            try await lab.requirePing(from: a, to: b.overlayIPv4)

            try await lab.stop(b)
            // `start` returns once b answers on its control socket; nobody touches a.
            try await lab.start(b)
            let restarted = ContinuousClock.now
            // Nothing but pings from here on: an echo request every 0.6 s or so, each
            // waiting 0.5 s for its reply.
            var replied = false
            while !replied && ContinuousClock.now - restarted < .seconds(10) {
                replied = try await Command.run(a.exec("ping", "-4", "-n", "-c", "1", "-W", "0.5", b.overlayIPv4)).succeeded
                if !replied { try await Task.sleep(for: .milliseconds(100)) }
            }
            let elapsed = ContinuousClock.now - restarted
            try #require(replied, "a could not ping the restarted b for 10 s")
            print("ping from a reached the restarted b \(elapsed) after it was up")
            #expect(elapsed < .seconds(5))
            try await lab.requirePing(from: b, to: a.overlayIPv4)
            try await lab.requirePing(from: a, to: b.overlayIPv6)
        }
    }
}
