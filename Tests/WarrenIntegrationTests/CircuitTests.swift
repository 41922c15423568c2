import Foundation
import Testing

/// The parts of `warren circuits --json` (the daemon's CircuitsReport) the tests look at.
struct CircuitsStatus: Decodable {
    struct Hop: Decodable {
        var name: String
        var role: String
    }

    struct Circuit: Decodable {
        var hops: [Hop]
        var state: String
    }

    var relaysListed: Int
    var directoryComplete: Bool
    var guardName: String?
    var circuits: [Circuit]
}

extension Lab {
    func circuits(_ node: Node) async throws -> CircuitsStatus {
        let result = try await Command.check([warren, "circuits", "--socket", node.socketPath, "--json"], timeout: .seconds(5))
        return try JSONDecoder().decode(CircuitsStatus.self, from: Data(result.stdout.utf8))
    }

    /// Five relays, each in an underlay /16 of its own, a destination that accepts anonymous
    /// traffic and a sender that routes to it through circuits, all started; returns once the
    /// sender has a circuit in use.
    func circuitLab() async throws -> (relays: [Node], destination: Node, sender: Node) {
        var relays: [Node] = []
        for i in 0..<5 { relays.append(try await addNode("r\(i)", relay: true, ownNetwork: true)) }
        let destination = try await addNode("dest", ownNetwork: true)
        let sender = try await addNode("sender", ownNetwork: true)
        for (i, relay) in relays.enumerated() {
            try configure(relay, peers: [], bootstrap: Array(relays.prefix(min(i, 3))), extra: "[circuits]\nrelay = true")
        }
        try configure(destination, peers: [], bootstrap: Array(relays.prefix(3)), extra: "[circuits]\naccept_anonymous = true")
        try configure(sender, peers: [], bootstrap: Array(relays.prefix(3)),
                      extra: "[[route]]\nto = \"\(destination.overlayIPv4)\"\nvia = \"circuit\"")
        for node in relays + [destination, sender] { try await start(node) }
        try await waitUntil("the sender has a circuit in use", timeout: .seconds(20)) {
            try await circuits(sender).circuits.contains { $0.state == "in use" }
        }
        return (relays, destination, sender)
    }
}

extension IntegrationTests {
    @Test("ping and ssh go through a three-hop circuit, and the destination sees only the last hop")
    func circuitToMember() async throws {
        try Prerequisites.requireTools(["tcpdump", "ssh", "sshd"])
        try await Lab.run { lab in
            let (relays, destination, sender) = try await lab.circuitLab()
            let report = try await lab.circuits(sender)
            #expect(report.relaysListed == 5 && report.directoryComplete)
            let inUse = try #require(report.circuits.first { $0.state == "in use" })
            #expect(inUse.hops.map(\.role) == ["guard", "middle", "last"])
            #expect(Set(inUse.hops.map(\.name)).isSubset(of: Set(relays.map(\.name))))

            // What reaches the destination's overlay interface comes from the last hop.
            let capture = try lab.startProcess("tcpdump-dest", destination.exec("tcpdump", "-i", "warren0", "-n", "-l", "icmp"))
            try await lab.waitUntil("tcpdump is listening") { capture.log.contains("listening on") || !capture.isRunning }
            try await lab.requirePing(from: sender, to: destination.overlayIPv4)
            _ = try await capture.stop()
            let lastHop = try #require(relays.first { $0.name == inUse.hops[2].name })
            #expect(capture.log.contains("\(lastHop.overlayIPv4) > \(destination.overlayIPv4): ICMP echo request"), "\(capture.log)")
            #expect(!capture.log.contains(sender.overlayIPv4), "\(capture.log)")

            let server = try await lab.startSSHServer(in: destination, address: destination.overlayIPv4)
            let hello = try await lab.ssh(from: sender, to: server, "echo", "through-a-circuit", "&&", "head", "-c", "200000", "/dev/zero", "|", "wc", "-c")
            #expect(hello.succeeded && hello.stdout.contains("through-a-circuit") && hello.stdout.contains("200000"), "\(hello)")
        }
    }
}
