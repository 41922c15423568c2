import Testing

extension IntegrationTests {
    @Test("a node whose underlay address changes keeps its sessions: an ssh session running across the change survives")
    func roamingKeepsSSH() async throws {
        try Prerequisites.requireTools(["ssh", "sshd", "ssh-keygen"])
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            let (client, host) = (nodes[0], nodes[1])
            let server = try await lab.startSSHServer(in: host, address: host.overlayIPv4)
            // Ten lines over five seconds; the address changes once the second line came
            // back, so the session is open and running when the node moves.
            let session = try lab.startSSH(from: client, to: server, "for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; sleep 0.5; done")
            try await session.waitForLine("line2", timeout: .seconds(10))
            let moved = "192.168.77.123"
            // As with a new DHCP lease: the old address goes, a new one comes. (Added first, the
            // new one would be a secondary address that the kernel removes with the old.)
            try await Command.check(client.namespace.ip("address", "del", "\(client.underlay)/24", "dev", "eth0"))
            try await Command.check(client.namespace.ip("address", "add", "\(moved)/24", "dev", "eth0"))
            try #require(try await session.waitForExit(timeout: .seconds(15)), "ssh still running: \(session.log)")
            #expect(session.state == "exited with status 0", "\(session.state): \(session.log)")
            #expect(session.log.split(separator: "\n").filter { $0.hasPrefix("line") }.count == 10, "\(session.log)")
            // b follows a to its new address without a new handshake being needed.
            let peer = try await lab.status(host).peer(client)
            #expect(peer?.endpoint == "\(moved):\(Lab.port)" && peer?.state == "connected", "\(String(describing: peer))")
        }
    }
}
