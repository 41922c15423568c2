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

/// Five relays, each in an underlay /16 of its own, destinations that accept anonymous
/// traffic and senders that route to one each (`senders[i]` to `destinations[i]`) through
/// circuits, or directly for a negative control.
struct CircuitLab {
    var relays: [Node] = []
    var destinations: [Node] = []
    var senders: [Node] = []

    var all: [Node] { relays + destinations + senders }

    /// Starts it all; returns once every sender has a circuit in use and lists every relay
    /// (with `circuits`: relays publish once peers reached them, so the last may be listed
    /// a moment after the first circuit is built).
    init(_ lab: Lab, pairs: Int = 1, circuits: Bool = true) async throws {
        for i in 0..<5 { relays.append(try await lab.addNode("r\(i)", relay: true, ownNetwork: true)) }
        for i in 0..<pairs { destinations.append(try await lab.addNode("dest\(i)", ownNetwork: true)) }
        for i in 0..<pairs { senders.append(try await lab.addNode("sender\(i)", ownNetwork: true)) }
        for (i, relay) in relays.enumerated() {
            try lab.configure(relay, peers: [], bootstrap: Array(relays.prefix(min(i, 3))), extra: "[circuits]\nrelay = true")
        }
        for destination in destinations {
            try lab.configure(destination, peers: [], bootstrap: Array(relays.prefix(3)), extra: "[circuits]\naccept_anonymous = true")
        }
        for (sender, destination) in zip(senders, destinations) {
            try lab.configure(sender, peers: [], bootstrap: Array(relays.prefix(3)),
                              extra: circuits ? "[[route]]\nto = \"\(destination.overlayIPv4)\"\nvia = \"circuit\"" : "")
        }
        for node in all { try await lab.start(node) }
        guard circuits else { return }
        for sender in senders {
            try await lab.waitUntil("\(sender.name) has a circuit in use and lists every relay", timeout: .seconds(20)) {
                let report = try await lab.circuits(sender)
                return report.circuits.contains { $0.state == "in use" } && report.relaysListed == relays.count
            }
        }
    }
}

extension Lab {
    func circuits(_ node: Node) async throws -> CircuitsStatus {
        let result = try await Command.check([warren, "circuits", "--socket", node.socketPath, "--json"], timeout: .seconds(5))
        return try JSONDecoder().decode(CircuitsStatus.self, from: Data(result.stdout.utf8))
    }

    /// Captures every interface of every node (`tcpdump -i any`) while `traffic` runs;
    /// returns each node's capture file, read whole.
    func capturing(_ nodes: [Node], _ traffic: () async throws -> Void) async throws -> [String: [UInt8]] {
        var captures: [(Node, BackgroundProcess, String)] = []
        for node in nodes {
            let file = path("\(node.name).pcap")
            let process = try startProcess("tcpdump-\(node.name)", node.exec("tcpdump", "-i", "any", "--immediate-mode", "-n", "-s", "0", "-U", "-Z", "root", "-w", file))
            captures.append((node, process, file))
        }
        for (node, process, _) in captures {
            try await waitUntil("tcpdump listens in \(node.name)") { process.log.contains("listening on") || !process.isRunning }
        }
        try await traffic()
        // What the kernel holds for tcpdump still reaches the files.
        try await Task.sleep(for: .milliseconds(500))
        var files: [String: [UInt8]] = [:]
        for (node, process, file) in captures {
            _ = try await process.stop(signal: SIGINT)
            files[node.name] = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        }
        return files
    }
}

/// What may not show anywhere in a node's capture: a sender's or a destination's identifiers.
struct Identifiers {
    let owner: String
    let patterns: [(what: String, bytes: [UInt8])]

    /// Overlay addresses, underlay address (unless `underlay` is false: relays are everyone's
    /// rendezvous nodes and see their keepalives) and public key bytes.
    init(_ node: Node, underlay: Bool) {
        owner = node.name
        var patterns = [("overlay address", Self.ipv4(node.overlayIPv4)),
                        ("public key", [UInt8](Data(base64Encoded: node.publicKey) ?? Data()))]
        if underlay { patterns.append(("underlay address", Self.ipv4(node.underlay))) }
        self.patterns = patterns
    }

    static func ipv4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    /// The identifiers found in `capture`.
    func found(in capture: [UInt8]) -> [String] {
        patterns.filter { capture.contains(subsequence: $0.bytes) }.map { "\(owner)'s \($0.what)" }
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return false }
        return indices.dropLast(subsequence.count - 1).contains { self[$0..<$0 + subsequence.count].elementsEqual(subsequence) }
    }
}

extension IntegrationTests {
    @Test("ping and ssh go through a three-hop circuit, and the destination sees only the last hop")
    func circuitToMember() async throws {
        try Prerequisites.requireTools(["tcpdump", "ssh", "sshd"])
        try await Lab.run { lab in
            let net = try await CircuitLab(lab)
            let (relays, destination, sender) = (net.relays, net.destinations[0], net.senders[0])
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

    @Test("captures on every node: two senders' identifiers reach neither destination nor any relay; with circuits off the checker flags them",
          arguments: [true, false])
    func circuitCaptures(circuits: Bool) async throws {
        try Prerequisites.requireTools(["tcpdump", "iperf3"])
        try await Lab.run { lab in
            let net = try await CircuitLab(lab, pairs: 2, circuits: circuits)
            // Let the DHT's start-up traffic and the sessions' first keepalives pass.
            try await Task.sleep(for: .seconds(circuits ? 12 : 2))
            let captures = try await lab.capturing(net.all) {
                for (sender, destination) in zip(net.senders, net.destinations) {
                    try await lab.requirePing(from: sender, to: destination.overlayIPv4)
                }
            }
            // Bulk TCP too, outside the captures (megabytes of ciphertext would hold any
            // 4-byte address by chance).
            let bitsPerSecond = try await iperf3(lab, from: net.senders[0], to: net.destinations[0], seconds: 2)
            print("iperf3 \(circuits ? "through a circuit" : "direct") (debug build): \(String(format: "%.1f", bitsPerSecond / 1e6)) Mbit/s")
            var leaks: [String] = []
            print("captures: " + captures.map { "\($0.key) \($0.value.count) bytes" }.sorted().joined(separator: ", "))
            for (i, sender) in net.senders.enumerated() {
                let destination = net.destinations[i]
                // The destination: nothing of the sender, not even its underlay address.
                leaks += Identifiers(sender, underlay: true).found(in: captures[destination.name]!).map { "\(destination.name) saw \($0)" }
                // Relays: neither end's overlay address nor key (they are everyone's
                // rendezvous nodes, so underlay addresses pass through them anyway).
                for relay in net.relays {
                    for end in [sender, destination] {
                        leaks += Identifiers(end, underlay: false).found(in: captures[relay.name]!).map { "\(relay.name) saw \($0)" }
                    }
                }
                // The other destination never sees this sender either.
                leaks += Identifiers(sender, underlay: false).found(in: captures[net.destinations[1 - i].name]!)
                    .map { "\(net.destinations[1 - i].name) saw \($0)" }
            }
            if circuits {
                #expect(leaks.isEmpty, "\(leaks)")
            } else {
                // The same checker on direct traffic must find the senders: it can fail.
                #expect(leaks.contains("dest0 saw sender0's overlay address") && leaks.contains("dest1 saw sender1's overlay address"), "\(leaks)")
            }
        }
    }
}

extension IntegrationTests {
    /// Pings every 0.1 s for `seconds` while `disruption` runs, and returns the longest time
    /// without an answer (from the sequence numbers answered).
    func longestOutage(_ lab: Lab, from sender: Node, to address: String, seconds: Int,
                       during disruption: () async throws -> Void) async throws -> Duration {
        let count = seconds * 10
        let ping = try lab.startProcess("ping-\(sender.name)", sender.exec("ping", "-4", "-n", "-i", "0.1", "-c", "\(count)", "-W", "1", address))
        try await Task.sleep(for: .seconds(1))
        try await disruption()
        _ = try await ping.waitForExit(timeout: .seconds(seconds + 5))
        let answered = Set(ping.log.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "icmp_seq=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        })
        var longest = 0, run = 0
        for sequence in 1...count {
            run = answered.contains(sequence) ? 0 : run + 1
            longest = max(longest, run)
        }
        return .milliseconds(longest * 100)
    }

    @Test("killing the middle: traffic resumes within 3 s and an ssh session survives")
    func circuitMiddleKilled() async throws {
        try Prerequisites.requireTools(["ssh", "sshd"])
        try await Lab.run { lab in
            let net = try await CircuitLab(lab)
            let (destination, sender) = (net.destinations[0], net.senders[0])
            let server = try await lab.startSSHServer(in: destination, address: destination.overlayIPv4)
            let session = try lab.startSSH(from: sender, to: server, "for i in $(seq 50); do echo line$i; sleep 0.2; done")
            try await lab.waitUntil("the ssh session is under way") { session.log.contains("line2") || !session.isRunning }
            let inUse = try #require(try await lab.circuits(sender).circuits.first { $0.state == "in use" })
            let middle = try #require(net.relays.first { $0.name == inUse.hops[1].name })
            let outage = try await longestOutage(lab, from: sender, to: destination.overlayIPv4, seconds: 8) {
                try await lab.stop(middle)
            }
            print("killing the middle \(middle.name): ping answered again after at most \(outage)")
            #expect(outage <= .seconds(3), "no answer for \(outage)")
            #expect(try await session.waitForExit(timeout: .seconds(20)))
            #expect(session.log.contains("line50") && session.state.contains("exited with status 0"), "\(session.state): \(session.log)")
            let after = try await lab.circuits(sender).circuits.first { $0.state == "in use" }
            #expect(after.map { !$0.hops.map(\.name).contains(middle.name) } ?? false)
        }
    }

    @Test("the sender's underlay address changes: traffic resumes within 2 s")
    func circuitSenderMoves() async throws {
        try await Lab.run { lab in
            let net = try await CircuitLab(lab)
            let (destination, sender) = (net.destinations[0], net.senders[0])
            // Another /16 (a secondary address in the same one would go with the primary).
            let octets = sender.underlay.split(separator: ".")
            let moved = "100.\(Int(octets[1])! + 40).0.1"
            let outage = try await longestOutage(lab, from: sender, to: destination.overlayIPv4, seconds: 5) {
                try await Command.check(sender.namespace.ip("address", "add", "\(moved)/16", "dev", "eth0"))
                try await Command.check(sender.namespace.ip("address", "del", "\(sender.underlay)/16", "dev", "eth0"))
            }
            print("the sender moved to \(moved): ping answered again after at most \(outage)")
            #expect(outage <= .seconds(2), "no answer for \(outage)")
        }
    }

    @Test("the sender keeps its guard and its relay directory across ten restarts")
    func circuitGuardPersists() async throws {
        try await Lab.run { lab in
            let net = try await CircuitLab(lab)
            let sender = net.senders[0]
            let first = try #require(try await lab.circuits(sender).guardName)
            for restart in 1...10 {
                try await lab.stop(sender)
                try await lab.start(sender)
                try await lab.waitUntil("\(sender.name) has a circuit again (restart \(restart))", timeout: .seconds(20)) {
                    try await lab.circuits(sender).circuits.contains { $0.state == "in use" }
                }
                let guardName = try await lab.circuits(sender).guardName
                #expect(guardName == first, "restart \(restart): guard \(guardName ?? "none"), was \(first)")
                let inUse = try await lab.circuits(sender).circuits.first { $0.state == "in use" }
                #expect(inUse?.hops.first?.name == first)
                // The directory came from the last run's file, all five relays of it, complete:
                // circuits were built from it without waiting for the relays' lists.
                let log = sender.daemon?.log ?? ""
                #expect(log.contains("count=5 relays [WarrenDaemon] relay directory restored"), "restart \(restart)")
                #expect(!log.contains("no circuit path"), "restart \(restart): the restored directory was incomplete")
            }
        }
    }
}
