import Foundation
import Testing

extension IntegrationTests {
    @Test("SIGTERM removes the interface, its routes, the control socket and the UDP socket")
    func sigtermLeavesNothingBehind() async throws {
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            let b = nodes[1]
            // What must go away must first have been there.
            try await Command.check(b.namespace.ip("link", "show", "warren0"))
            try #require(FileManager.default.fileExists(atPath: b.socketPath))
            try #require(try await lab.udpSockets(in: b).contains { $0.contains(":\(Lab.port) ") })

            try await lab.stop(b)
            let daemon = try #require(b.daemon)
            #expect(daemon.ending == .exited(0), "warren up should exit with status 0 after SIGTERM; it \(daemon.state)")

            let link = try await Command.run(b.namespace.ip("link", "show", "warren0"))
            #expect(!link.succeeded, "warren0 is still there: \(link)")
            for family in ["-4", "-6"] {
                let routes = try await Command.check(b.namespace.ip(family, "route", "show", "table", "all"))
                #expect(!routes.stdout.contains("warren0"), "routes via warren0 remain:\n\(routes.stdout)")
            }
            #expect(!FileManager.default.fileExists(atPath: b.socketPath), "the control socket \(b.socketPath) remains")
            let listening = try await Command.check(b.exec("ss", "-Huln"))
            #expect(!listening.stdout.contains(":\(Lab.port) "), "a UDP socket remains on port \(Lab.port):\n\(listening.stdout)")
        }
    }
}
