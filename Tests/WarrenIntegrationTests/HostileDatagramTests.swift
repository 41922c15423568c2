import Foundation
import Testing

extension IntegrationTests {
    /// Issue 11, finding 1: a zero-length datagram made the receive loop step by 0 and trap.
    /// Datagrams of every awkward length, and GSO runs that a relay's GRO socket receives
    /// as one entry, go to a plain node and to a relay; both stay up and keep answering.
    @Test("empty, tiny, huge and GRO-joined datagrams from a stranger are dropped and the nodes still answer ping")
    func hostileDatagramLengths() async throws {
        try await Lab.run { lab in
            let relay = try await lab.addNode("r", relay: true)
            let a = try await lab.addNode("a")
            let b = try await lab.addNode("b")
            let all = [relay, a, b]
            for node in all { try lab.configure(node, peers: all.filter { $0 !== node }) }
            for node in all { try await lab.start(node) }
            for node in all { try await lab.waitUntilConnected(node, to: all.filter { $0 !== node }) }
            let before = try await lab.status(b).drops.values.reduce(0, +)

            // From a's namespace but not from its daemon's socket: a stranger on the LAN.
            let lengths = ["0", "1", "65507", "0", "1x64", "3x20", "1400x40"]
            for target in [b, relay] {
                try await Command.check(a.exec("python3", Lab.udpSend, target.underlay, "\(Lab.port)") + lengths)
            }
            try await Task.sleep(for: .milliseconds(300))
            try lab.requireDaemonsAlive()
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            try await lab.requirePing(from: a, to: relay.overlayIPv4)
            try await lab.requirePing(from: b, to: relay.overlayIPv6)
            // Each datagram but the 65,507-byte one, which needs no reassembly to be refused, is counted.
            let after = try await lab.status(b).drops.values.reduce(0, +)
            #expect(after - before >= 4 + 64 + 20 + 40, "b counted \(after - before) dropped datagrams")
        }
    }
}

extension Lab {
    /// The lab's datagram sender (see the file).
    static let udpSend = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Lab/udp-send.py").path
}
