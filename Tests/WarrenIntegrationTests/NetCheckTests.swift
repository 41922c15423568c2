import Foundation
import Testing

/// `warren netcheck --json`, decoded as far as the tests read it.
struct NetCheckOutput: Decodable {
    struct Server: Decodable {
        var server: String
        var kind: String
        var name: String?
        var mapped: String?
        var error: String?
    }
    var local: [String]
    var reflexive: [String]
    var mapping: String
    var filtering: String
    var udp: Bool
    var servers: [Server]
}

extension IntegrationTests {
    func netcheck(_ lab: Lab, _ node: Node) async throws -> NetCheckOutput {
        let out = try await Command.check([lab.warren, "netcheck", "--socket", node.socketPath, "--json"])
        return try JSONDecoder().decode(NetCheckOutput.self, from: Data(out.stdout.utf8))
    }

    @Test("warren netcheck: coturn, named in a's config by its host name, and a peer see a node without NAT at its own address")
    func netcheckWithoutNAT() async throws {
        try await Lab.run { lab in
            let stun = try await lab.addNode("stun")
            let a = try await lab.addNode("a")
            let b = try await lab.addNode("b")
            try await lab.startSTUNServer(on: stun)
            try lab.configure(b, peers: [])
            // A name a's /etc/hosts has, and one nobody knows.
            try a.namespace.setHostNames([("stun.lab.test", stun.underlay)])
            try lab.configure(a, peers: [b], stun: ["stun.lab.test:3478", "nowhere.lab.test:3478"])
            // b first: a's first initiation then finds it up and is not retried 5 s later.
            for node in [b, a] { try await lab.start(node) }
            try await lab.waitUntilConnected(a, to: [b])
            let started = ContinuousClock.now
            let report = try await netcheck(lab, a)
            print("warren netcheck took \(ContinuousClock.now - started)")
            #expect(report.udp)
            #expect(report.servers.map(\.kind) == ["stun", "b", "stun"], "\(report)")
            #expect(report.servers.prefix(2).allSatisfy { $0.mapped == a.endpoint }, "\(report)")
            #expect(report.servers[0].name == "stun.lab.test:3478" && report.servers[0].server == "\(stun.underlay):3478", "\(report)")
            let nowhere = report.servers[2]
            #expect(nowhere.name == "nowhere.lab.test:3478" && nowhere.mapped == nil
                    && nowhere.error?.hasPrefix("cannot resolve") == true, "\(report)")
            #expect(report.reflexive == [a.endpoint])
            #expect(report.mapping == "none")
            // coturn on one address cannot run the filtering tests.
            #expect(report.filtering == "unknown")
            let text = try await Command.check([lab.warren, "netcheck", "--socket", a.socketPath])
            #expect(text.stdout.contains("mapping    none") && text.stdout.contains("stun.lab.test:3478 (\(stun.underlay):3478)"),
                    "\(text.stdout)")
        }
    }

    @Test("warren netcheck behind NAT routers, with coturn on two addresses alone, reports the public address, tells cone from symmetric mapping by coturn's other address, and the filtering by its RFC 5780 tests",
          arguments: NATRouter.Kind.allCases)
    func netcheckBehindNAT(kind: NATRouter.Kind) async throws {
        try await Lab.run { lab in
            let stun = try await lab.addNode("stun")
            let router = try await lab.addNATRouter("home", kind: kind)
            let a = try await lab.addNode("a", behind: router)
            try await lab.startSTUNServer(on: stun, secondAddress: "192.168.77.150")
            try lab.configure(a, peers: [], stun: ["\(stun.underlay):3478"])
            try await lab.start(a)
            let report = try await netcheck(lab, a)
            #expect(report.servers.map(\.kind) == ["stun", "stun other address"]
                    && report.servers.allSatisfy { $0.mapped?.hasPrefix(router.publicAddress + ":") == true },
                    "\(report)")
            #expect(report.local.contains(a.endpoint))
            switch kind {
            case .fullCone, .addressRestricted, .portRestricted:
                #expect(report.mapping == "endpoint-independent", "\(report)")
                #expect(report.reflexive.count == 1)
            case .symmetric, .symmetricSequential:
                #expect(report.mapping == "endpoint-dependent", "\(report)")
                #expect(report.reflexive.count == 2)
            }
            let filtering: String = switch kind {
            case .fullCone: "endpoint-independent"
            case .addressRestricted: "address-dependent"
            case .portRestricted, .symmetric, .symmetricSequential: "address-and-port-dependent"
            }
            #expect(report.filtering == filtering, "\(report)")
            print("netcheck behind \(kind): mapping \(report.mapping), filtering \(report.filtering)")
        }
    }
}

extension IntegrationTests {
    @Test("a node behind a NAT learns its public address from its peers and publishes it in its DHT record")
    func reflexiveCandidateInRecord() async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let b = try await lab.addNode("b")
            let router = try await lab.addNATRouter("home", kind: .portRestricted)
            let a = try await lab.addNode("a", behind: router)
            try lab.configure(boot, peers: [])
            for node in [a, b] { try lab.configure(node, peers: [], bootstrap: [boot]) }
            for node in [boot, b, a] { try await lab.start(node) }
            // a asks its peers (no STUN server is configured) a few seconds after it starts.
            let public_ = "\(router.publicAddress):40001"
            let started = ContinuousClock.now
            var endpoints: [String] = []
            while !endpoints.contains(public_) && ContinuousClock.now - started < .seconds(20) {
                try await Task.sleep(for: .milliseconds(500))
                let out = try await Command.run([lab.warren, "lookup", "--socket", b.socketPath, "--json", a.overlayIPv4])
                endpoints = (try? JSONDecoder().decode(LookupOutput.self, from: Data(out.stdout.utf8)))?.endpoints ?? []
            }
            #expect(endpoints.contains(public_), "a's record lists \(endpoints)")
            #expect(endpoints.contains(a.endpoint), "a's record lists \(endpoints)")
            print("a's record listed its public address \(ContinuousClock.now - started) after b started looking")
        }
    }
}

/// `warren lookup --json`, as far as the tests read it.
struct LookupOutput: Decodable {
    var found: Bool
    var endpoints: [String]
    var rendezvous: [String] = []
}
