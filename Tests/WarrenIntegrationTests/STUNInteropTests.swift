import Testing

extension IntegrationTests {
    @Test("Debian's stun-client (an RFC 3489 client) learns its address from a node's STUN server on the Warren port")
    func stunClientAgainstWarren() async throws {
        try await Lab.run { lab in
            let node = try await lab.addNode("a")
            // Only a namespace with an address: no daemon runs there.
            let client = try await lab.addNode("client")
            try lab.configure(node, peers: [])
            try await lab.start(node)
            let result = try await Command.run(client.exec("stun", node.endpoint, "-v"))
            let output = result.stdout + result.stderr
            #expect(output.contains("MappedAddress = \(client.underlay):"), "\(output)")
            #expect(output.contains("test I = 1"), "\(output)")
        }
    }
}
