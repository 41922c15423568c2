import Testing

extension IntegrationTests {
    @Test("ssh from one node runs a command on another node's OpenSSH server over the overlay")
    func sshRunsACommandOverTheOverlay() async throws {
        try Prerequisites.requireTools(["ssh", "sshd", "ssh-keygen"])
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            let (client, host) = (nodes[0], nodes[1])
            // Listening on the overlay address only: the session can only come through warren.
            let server = try await lab.startSSHServer(in: host, address: host.overlayIPv4)
            let result = try await lab.ssh(from: client, to: server, "echo", "hello-over-warren")
            try #require(result.succeeded, "\(result)")
            #expect(result.stdout == "hello-over-warren\n")
        }
    }
}
