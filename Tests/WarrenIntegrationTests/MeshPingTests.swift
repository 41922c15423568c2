import Testing

extension IntegrationTests {
    @Test("three nodes ping every other node both ways over IPv4 and IPv6 overlay addresses")
    func threeNodesPingEveryPair() async throws {
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b", "c"])
            var failures: [String] = []
            for from in nodes {
                for to in nodes where to !== from {
                    for address in [to.overlayIPv4, to.overlayIPv6] {
                        let result = try await lab.ping(from: from, to: address)
                        if !result.succeeded { failures.append("\(from.name) → \(to.name) \(address): \(result)") }
                    }
                }
            }
            try #require(failures.isEmpty, "\(failures.count) of 12 pings failed:\n\(failures.joined(separator: "\n"))")
        }
    }
}
