import Foundation
import Testing

extension IntegrationTests {
    /// A port-restricted NAT lets in only what its node sent to first, and a symmetric NAT
    /// sends each destination's packets from a new port: plain punching cannot join the two
    /// (the NAT matrix shows them relayed). Behind a symmetric NAT that numbers its ports in
    /// sequence, the port-restricted side guesses the ports after the one the rendezvous node
    /// saw, and one guess meets the mapping the other side's probes opened.
    @Test("port prediction: a port-restricted node and one behind a sequential symmetric NAT go direct from a cold start",
          arguments: [false, true])
    func portPrediction(symmetricSideStarts: Bool) async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot", relay: true)
            let homeB = try await lab.addNATRouter("homeb", kind: .symmetricSequential)
            let homeA = try await lab.addNATRouter("homea", kind: .portRestricted)
            let b = try await lab.addNode("b", behind: homeB)
            let a = try await lab.addNode("a", behind: homeA)
            try await lab.startTogether(boot: boot, [a, b])
            let (from, to) = symmetricSideStarts ? (b, a) : (a, b)
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            let (reply, firstReply) = try await lab.pingOnce(from: from, to: to.overlayIPv4)
            #expect(reply.succeeded, "the first echo was not answered: \(reply)")
            // Direct both ways: each side's probe answered directly.
            var path = "-"
            var direct: Duration?
            while ContinuousClock.now - started < .seconds(5) {
                path = try await lab.status(a).peer(b)?.path ?? "-"
                if path == "direct", try await lab.status(b).peer(a)?.path == "direct" {
                    direct = ContinuousClock.now - started
                    break
                }
                // Port guesses are probed while packets flow.
                _ = try await lab.pingOnce(from: from, to: to.overlayIPv4, waitSeconds: 1)
                try await Task.sleep(for: .milliseconds(50))
            }
            let peer = try await lab.status(a).peer(b)
            print("port prediction, \(from.name) → \(to.name): \(path), first reply after \(firstReply), "
                  + "direct after \(direct.map { "\($0)" } ?? "-"), b at \(peer?.endpoint ?? "-")")
            #expect(direct.map { $0 < .seconds(3) } == true, "still \(path)")
            // A port of the sequence, not the one towards the rendezvous node.
            let seenByBoot = try await lab.status(boot).peer(b)?.endpoint
            #expect(peer?.endpoint?.hasPrefix(homeB.publicAddress + ":") == true && peer?.endpoint != seenByBoot,
                    "a reaches b at \(peer?.endpoint ?? "-"), boot at \(seenByBoot ?? "-")")
        }
    }
}
