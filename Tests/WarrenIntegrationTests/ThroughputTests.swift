import Foundation
import Testing

extension IntegrationTests {
    /// The debug build the tests run moves about 600 Mbit/s here (the README's release
    /// figures are five times that); a third of it is the floor.
    @Test("iperf3 moves data over the overlay for 3 seconds")
    func iperf3ReportsThroughput() async throws {
        try Prerequisites.requireTools(["iperf3"])
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            let bitsPerSecond = try await iperf3(lab, from: nodes[0], to: nodes[1], seconds: 3)
            print("iperf3 over warren (debug build, TCP, 3 s): \(String(format: "%.1f", bitsPerSecond / 1e6)) Mbit/s received")
            #expect(bitsPerSecond > 200e6)
        }
    }

    /// Tunnel datagrams (up to 1452 bytes) longer than the underlay's MTU: the kernel refuses
    /// a joined run of them (a segment must fit the path), so each is sent again on its own
    /// and fragmented by IP, as a run without segmentation offload would be. About 400 Mbit/s
    /// in the debug build; a third of it is the floor.
    @Test("iperf3 runs over an underlay whose MTU is below the tunnel's datagrams")
    func iperf3OverSmallUnderlayMTU() async throws {
        try Prerequisites.requireTools(["iperf3"])
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            for node in nodes { try await Command.check(node.namespace.ip("link", "set", "eth0", "mtu", "1280")) }
            let bitsPerSecond = try await iperf3(lab, from: nodes[0], to: nodes[1], seconds: 2)
            print("iperf3 over warren, underlay MTU 1280 (debug build, TCP, 2 s): \(String(format: "%.1f", bitsPerSecond / 1e6)) Mbit/s received")
            #expect(bitsPerSecond > 130e6)
        }
    }

    /// One TCP stream from `client` to `server` over their overlay addresses for `seconds`:
    /// the receiver's rate, in bits per second.
    func iperf3(_ lab: Lab, from client: Node, to server: Node, seconds: Int) async throws -> Double {
        let port = 5201
        let iperfServer = try lab.startProcess("iperf3-server", server.exec(
            "iperf3", "--server", "--one-off", "--bind", server.overlayIPv4, "--port", "\(port)"))
        try await lab.waitForTCPListener(in: server, port: port, process: iperfServer)
        let result = try await Command.run(client.exec(
            "iperf3", "--client", server.overlayIPv4, "--port", "\(port)", "--time", "\(seconds)", "--json"), timeout: .seconds(15))
        try #require(result.succeeded, "\(result)")
        return try JSONDecoder().decode(IperfReport.self, from: Data(result.stdout.utf8)).end.sumReceived.bitsPerSecond
    }
}

/// The part of `iperf3 --json` output that holds the receiver's average.
struct IperfReport: Decodable {
    struct End: Decodable {
        var sumReceived: Sum
        enum CodingKeys: String, CodingKey { case sumReceived = "sum_received" }
    }

    struct Sum: Decodable {
        var bitsPerSecond: Double
        enum CodingKeys: String, CodingKey { case bitsPerSecond = "bits_per_second" }
    }

    var end: End
}
