import Foundation
import Testing

extension IntegrationTests {
    /// Two nodes behind port-restricted NATs (Linux's own masquerade behaviour): neither NAT
    /// lets in what its node did not send to first. Started together with their bootstrap
    /// node, as machines boot; one second later a pings b once. What opens both NATs is
    /// whichever comes first: the punch boot passes on when a asks (both send handshakes at
    /// once), or the DHT queries the two send each other while both join.
    @Test("two nodes behind port-restricted NATs reach each other directly from a cold start")
    func holePunchBetweenPortRestrictedNATs() async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let homeA = try await lab.addNATRouter("homea", kind: .portRestricted)
            let homeB = try await lab.addNATRouter("homeb", kind: .portRestricted)
            let a = try await lab.addNode("a", behind: homeA)
            let b = try await lab.addNode("b", behind: homeB)
            try await lab.startTogether(boot: boot, [a, b])
            try await Task.sleep(for: .seconds(1))
            let (reply, firstReply) = try await lab.pingOnce(from: a, to: b.overlayIPv4)
            #expect(reply.succeeded, "the first echo was not answered: \(reply)")
            #expect(firstReply < .milliseconds(60), "the first echo took \(firstReply)")
            // Each at the other's NAT mapping (the first port each NAT hands out).
            let bPublic = "\(homeB.publicAddress):40001"
            let peer = try await lab.status(a).peer(b)
            #expect(peer?.state == "connected" && peer?.endpoint == bPublic && peer?.path == "direct", "\(String(describing: peer))")
            #expect(try await lab.status(b).peer(a)?.endpoint == "\(homeA.publicAddress):40001")
            let table = try await Command.check([lab.warren, "status", "--socket", b.socketPath])
            #expect(table.stdout.contains("\(homeA.publicAddress):40001") && table.stdout.contains("direct"), "\(table.stdout)")
            // warren ping probes that path inside the session.
            let probes = try await Command.check([lab.warren, "ping", "--socket", a.socketPath, "b", "--count", "3"])
            #expect(probes.stdout.contains("over \(bPublic) (direct, ") && probes.stdout.contains("3 probes, 3 answered"),
                    "\(probes.stdout)")
            print(probes.stdout)
            let nobody = try await Command.run([lab.warren, "ping", "--socket", a.socketPath, "nobody"])
            #expect(nobody.status == 1 && nobody.stderr.contains("no peer named"), "\(nobody)")
            print("port-restricted ↔ port-restricted: direct, first reply \(firstReply) after the first ping")
        }
    }
}

extension IntegrationTests {
    /// Without hairpinning, packets to the router's public address from its own LAN are
    /// lost, and the LAN addresses in b's record are what a reaches b at. With it, a and b
    /// first meet at its public address (where boot saw them, and named them to each other
    /// as DHT contacts); their LAN beacons must then move them to the LAN within seconds.
    /// From a cold start either way.
    @Test("two nodes behind one NAT reach each other over their LAN, with hairpinning or without", arguments: [false, true])
    func twoNodesBehindOneNAT(hairpin: Bool) async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let home = try await lab.addNATRouter("home", kind: .portRestricted, sharedLAN: true, hairpin: hairpin)
            let b = try await lab.addNode("b", behind: home)
            let a = try await lab.addNode("a", behind: home)
            try await lab.startTogether(boot: boot, [a, b], lanBeacons: hairpin)
            try await Task.sleep(for: .seconds(1))
            let (reply, took) = try await lab.pingOnce(from: a, to: b.overlayIPv4)
            #expect(reply.succeeded, "the first echo was not answered: \(reply)")
            #expect(took < .milliseconds(60), "the first echo took \(took)")
            if hairpin {
                // Traffic keeps the session's probes going while the paths move.
                let traffic = try lab.startProcess("ping-a", a.exec("ping", "-q", "-i", "0.2", "-w", "10", b.overlayIPv4))
                defer { traffic.terminateBlocking() }
                let started = ContinuousClock.now
                try await lab.waitForStatus(a, timeout: .seconds(6), "a's path to b is the LAN") { $0.peer(b)?.path == "LAN" }
                try await lab.waitForStatus(b, timeout: .seconds(6), "b's path to a is the LAN") { $0.peer(a)?.path == "LAN" }
                print("hairpinning NAT: both paths on the LAN \(ContinuousClock.now - started) after the first echo")
                // Past the hold that keeps packets sent through the NAT before the move from
                // roaming the endpoint back, with traffic still flowing: the paths stay.
                try await Task.sleep(for: .seconds(3))
            }
            let peer = try await lab.status(a).peer(b)
            #expect(peer?.endpoint == b.endpoint, "a reaches b at \(peer?.endpoint ?? "-"), not its LAN address \(b.endpoint)")
            #expect(peer?.path == "LAN", "\(String(describing: peer))")
            let back = try await lab.status(b).peer(a)
            #expect(back?.endpoint == a.endpoint && back?.path == "LAN", "\(String(describing: back))")
        }
    }
}

extension IntegrationTests {
    @Test("nodes on one LAN with no bootstrap node and no peers configured find each other by their beacons")
    func lanBeacons() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            let b = try await lab.addNode("b")
            let quiet = try await lab.addNode("quiet")
            for node in [a, b] { try lab.configure(node, peers: [], lanBeacons: true) }
            try lab.configure(quiet, peers: [], lanBeacons: false)
            for node in [a, b, quiet] { try await lab.start(node) }
            // b's first beacon went out as it started, after a was up.
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            let peer = try await lab.status(a).peer(b)
            #expect(peer?.path == "LAN" && peer?.foundBy == "lan" && peer?.endpoint == b.endpoint, "\(String(describing: peer))")
            // A node with beacons off is neither announced nor listening.
            let silent = try await lab.ping(from: a, to: quiet.overlayIPv4, deadlineSeconds: 2)
            #expect(!silent.succeeded)
        }
    }
}

extension IntegrationTests {
    /// The same over IPv6 alone: both nodes have a unique local address on the link, and
    /// each drops IPv4 beacons, so only the IPv6 group can tell them of each other.
    @Test("nodes find each other by IPv6 LAN beacons and reach each other at their IPv6 addresses")
    func lanBeaconsIPv6() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            let b = try await lab.addNode("b")
            for (node, host) in [(a, "a"), (b, "b")] {
                try await Command.check(node.namespace.ip("address", "add", "fd77::\(host)/64", "dev", "eth0", "nodad"))
                try await Router.apply([
                    "add table ip wit_beacons",
                    "add chain ip wit_beacons input { type filter hook input priority filter; }",
                    // LANBeacon.group
                    "add rule ip wit_beacons input ip daddr 239.255.77.77 drop",
                ], in: node.namespace)
                try lab.configure(node, peers: [], lanBeacons: true)
            }
            for node in [a, b] { try await lab.start(node) }
            // A node's first MLD report waits for its link-local address to pass duplicate
            // address detection, and the lab's bridge snoops MLD: a first beacon may miss a
            // node that has not been heard joining yet. The next ones come 2 s apart.
            let started = ContinuousClock.now
            while try await lab.status(a).peer(b) == nil, ContinuousClock.now - started < .seconds(15) {
                try await Task.sleep(for: .milliseconds(250))
            }
            print("IPv6 LAN beacons: a heard of b after \(ContinuousClock.now - started)")
            try await lab.requirePing(from: a, to: b.overlayIPv4)
            let peer = try await lab.status(a).peer(b)
            #expect(peer?.path == "LAN" && peer?.foundBy == "lan" && peer?.endpoint == "[fd77::b]:\(Lab.port)", "\(String(describing: peer))")
            #expect(try await lab.status(b).peer(a)?.endpoint == "[fd77::a]:\(Lab.port)")
        }
    }
}
