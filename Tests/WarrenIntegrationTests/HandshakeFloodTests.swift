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
            // mac1 and a copy of a's certificate, from one socket, 100,000 a second (the rate
            // issue 11 names).
            let flooder = (lab.warren as NSString).deletingLastPathComponent + "/warren-flood"
            let flood = try lab.startProcess("flood", stranger.exec(flooder, "initiations", b.publicKey, b.endpoint, lab.path("a.crt"),
                                                                    "1", "100000", "6"))
            // It builds its initiations first (a few seconds in a debug build), then says so.
            try await lab.waitUntil("the flooder floods", timeout: .seconds(30)) { flood.log.contains("flooding") }
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
            // The gate lets one source reach Noise, or get a cookie reply under load, 5 times at
            // once and 20 times a second; the rest cost a hash each, or no copy at all when the
            // queue is full.
            #expect((during["rate_limited"] ?? 0) > 1000, "\(during)")
            #expect((during["under_load"] ?? 0) > 0, "b never fell under load: \(during)")
            // What got through the gate reached Noise (the flood's initiations are genuine
            // Noise, refused for the copied certificate) or was answered with a cookie.
            let status = try await lab.status(b)
            let reachedNoise = Int(status.drops["authentication_failed"] ?? 0) + status.refusals.map(\.count).reduce(0, +)
            #expect(reachedNoise + Int(status.drops["under_load"] ?? 0) <= 5 + 20 * 8,
                    "\(reachedNoise) flood messages reached Diffie-Hellman: \(status.drops)")
            // A copy of a's certificate names nobody, and costs at most a few log lines.
            #expect(status.refusals.allSatisfy { $0.name == nil && $0.publicKey == nil }, "\(status.refusals)")
            let lines = b.daemon?.log.components(separatedBy: "peer refused").count ?? 1
            #expect(lines - 1 <= 10, "\(lines - 1) refusal lines")
        }
    }
}
