import Foundation
import Testing

extension IntegrationTests {
    /// Security issue #11, finding 2: a non-member who knows a node's public key floods it
    /// with initiations that carry a valid mac1. From one address, the packet thread lets 5
    /// at once and 20 a second through to the control thread and drops the rest uncopied, so
    /// the node never even falls under load; from 100 addresses, it falls under load and
    /// answers with cookie replies instead of Diffie-Hellman. Meanwhile a member it has never
    /// met still gets a session, and one it has keeps its traffic.
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
            // Each new flow from the stranger (each of the flooder's sockets) leaves from the
            // next of 100 addresses of its own.
            let sources = (120..<220).map { "192.168.77.\($0)" }
            for address in sources { try await Command.check(stranger.namespace.ip("address", "add", "\(address)/24", "dev", "eth0")) }
            let map = sources.enumerated().map { "\($0) : \($1)" }.joined(separator: ", ")
            try await Router.apply(["add table ip wit_sources",
                                    "add chain ip wit_sources post { type nat hook postrouting priority srcnat; }",
                                    "add rule ip wit_sources post ip daddr \(b.underlay) udp dport \(Lab.port) "
                                    + "snat to numgen inc mod \(sources.count) map { \(map) }"],
                                   in: stranger.namespace)

            // bench/flood's flooder: Noise initiations from throwaway keys, each with a valid
            // mac1 and a copy of a's certificate, 100,000 a second (the rate issue 11 names).
            let flooder = (lab.warren as NSString).deletingLastPathComponent + "/warren-flood"
            func flood(from sockets: Int, seconds: Int) async throws -> BackgroundProcess {
                let flood = try lab.startProcess("flood-\(sockets)", stranger.exec(flooder, "initiations", b.publicKey, b.endpoint,
                                                                                  lab.path("a.crt"), "\(sockets)", "100000", "\(seconds)"))
                // It builds its initiations first (a few seconds in a debug build), then says so.
                try await lab.waitUntil("the flooder floods", timeout: .seconds(30)) { flood.log.contains("flooding") }
                return flood
            }

            // One address: the packet thread's gate holds it to 5 + 20 a second.
            let single = try await flood(from: 1, seconds: 4)
            try #require(try await single.waitForExit(timeout: .seconds(15)), "the flood did not end")
            let afterSingle = try await lab.status(b)
            print("handshake flood from one address: \(single.log.trimmingCharacters(in: .whitespacesAndNewlines)); "
                  + "b's drops \(afterSingle.drops)")
            #expect((afterSingle.drops["rate_limited"] ?? 0) > 1000, "\(afterSingle.drops)")
            #expect(afterSingle.drops["under_load"] == nil, "one address put b under load: \(afterSingle.drops)")
            let reachedNoise = Int(afterSingle.drops["authentication_failed"] ?? 0) + afterSingle.refusals.map(\.count).reduce(0, +)
            #expect(reachedNoise <= 5 + 20 * 5, "\(reachedNoise) flood messages from one address reached Diffie-Hellman")

            // A hundred addresses: more than the control thread answers, so b asks for cookies.
            let many = try await flood(from: sources.count, seconds: 6)
            try await Task.sleep(for: .seconds(1))
            // A newcomer during the flood: its first initiation may get a cookie reply, and its
            // next, with mac2, an answer.
            let started = ContinuousClock.now
            try await lab.start(c)
            try await lab.waitUntilConnected(c, to: [b], timeout: .seconds(12))
            print("handshake flood: c connected to b \(ContinuousClock.now - started) after it started")
            try await lab.requirePing(from: c, to: b.overlayIPv4)
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            try #require(try await many.waitForExit(timeout: .seconds(15)), "the flood did not end")
            let status = try await lab.status(b)
            print("handshake flood from 100 addresses: \(many.log.trimmingCharacters(in: .whitespacesAndNewlines)); "
                  + "b's drops \(status.drops)")
            #expect((status.drops["under_load"] ?? 0) > 0, "b never fell under load: \(status.drops)")
            // A copy of a's certificate names nobody, and costs at most a few log lines.
            #expect(status.refusals.allSatisfy { $0.name == nil && $0.publicKey == nil }, "\(status.refusals)")
            let lines = b.daemon?.log.components(separatedBy: "peer refused").count ?? 1
            #expect(lines - 1 <= 10, "\(lines - 1) refusal lines")
        }
    }
}
