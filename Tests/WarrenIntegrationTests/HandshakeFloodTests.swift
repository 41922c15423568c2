import Foundation
import Testing

extension IntegrationTests {
    /// Security issue #11, finding 2: a non-member who knows a node's public key floods it
    /// with initiations that carry a valid mac1. The node drops most before any public-key
    /// work (one source gets 5 at once and 20 a second), falls under load and answers with
    /// cookie replies instead of Diffie-Hellman; meanwhile a member it has never met still
    /// gets a session, and one it has keeps its traffic.
    @Test("a handshake flood from a non-member gets cookie replies; members still connect and talk")
    func handshakeFlood() async throws {
        try await Lab.run { lab in
            let b = try await lab.addNode("b")
            let a = try await lab.addNode("a")
            let c = try await lab.addNode("c")
            let stranger = try await lab.addNode("m")
            try lab.configure(b, peers: [a])
            try lab.configure(a, peers: [b])
            try lab.configure(c, peers: [b])
            for node in [b, a] { try await lab.start(node) }
            try await lab.waitUntilConnected(a, to: [b])

            // bench/flood's flooder: Noise initiations from throwaway keys, each with a valid
            // mac1 and a copy of a's certificate, from one socket, as fast as it can send.
            let flooder = (lab.warren as NSString).deletingLastPathComponent + "/warren-flood"
            let flood = try lab.startProcess("flood", stranger.exec(flooder, "initiations", b.publicKey, b.endpoint, lab.path("a.crt"),
                                                                    "1", "0", "6"))
            try await Task.sleep(for: .seconds(1))
            // A newcomer during the flood: its first initiation may get a cookie reply, and its
            // next, with mac2, an answer.
            let started = ContinuousClock.now
            try await lab.start(c)
            try await lab.waitUntilConnected(c, to: [b], timeout: .seconds(12))
            print("handshake flood: c connected to b \(ContinuousClock.now - started) after it started")
            try await lab.requirePing(from: c, to: b.overlayIPv4)
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            let during = try await lab.status(b).drops

            try #require(try await flood.waitForExit(timeout: .seconds(15)), "the flood did not end")
            print("handshake flood: \(flood.log.trimmingCharacters(in: .whitespacesAndNewlines)); b's drops \(during)")
            // Under load a message without mac2 costs a hash and a cookie reply; at rest the
            // gate lets one source reach Noise 5 times at once and 20 times a second.
            #expect((during["under_load"] ?? 0) > 1000, "b never fell under load: \(during)")
            let reachedNoise = during["authentication_failed"] ?? 0
            #expect(reachedNoise <= 5 + 20 * 8, "\(reachedNoise) flood messages reached Diffie-Hellman: \(during)")
            // Nothing about the stranger's garbage reached the log as a refusal.
            #expect(try await lab.status(b).refusals.isEmpty)
        }
    }
}
