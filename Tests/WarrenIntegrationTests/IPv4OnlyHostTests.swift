import Testing

extension IntegrationTests {
    /// Issue 12: a host with IPv6 disabled (net.ipv6.conf.*.disable_ipv6 = 1) refused the
    /// derived IPv6 overlay address with "Permission denied" and the daemon exited. It runs
    /// IPv4-only there, and `status` says so.
    @Test("a host with IPv6 disabled runs IPv4-only, says so in status, and its peers ping it")
    func ipv6DisabledHost() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            let b = try await lab.addNode("b")
            for setting in ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"] {
                try await Command.check(a.namespace.exec(["sysctl", "-q", "-w", setting]))
            }
            try lab.configure(a, peers: [b])
            try lab.configure(b, peers: [a])
            for node in [a, b] { try await lab.start(node) }
            try await lab.waitUntilConnected(a, to: [b])
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            try await lab.requirePing(from: b, to: a.overlayIPv4)
            let status = try await Command.check([lab.warren, "status", "--socket", a.socketPath]).stdout
            print("IPv4-only host: \(status)")
            #expect(status.contains("IPv6 disabled on this host"), "\(status)")
            #expect(a.daemon?.log.contains("running IPv4-only") == true)
        }
    }
}
