import Testing

extension IntegrationTests {
    @Test("eight nodes that know only a bootstrap node find each other through the DHT, also after it stops")
    func discoveryThroughTheDHT() async throws {
        try await Lab.run { lab in
            var nodes: [Node] = []
            for name in ["boot", "b", "c", "d", "e", "f", "g", "h"] { nodes.append(try await lab.addNode(name)) }
            let boot = nodes[0]
            try lab.configure(boot, peers: [])
            for node in nodes.dropFirst() { try lab.configure(node, peers: [], bootstrap: [boot]) }
            for node in nodes { try await lab.start(node) }
            // Nodes join and publish their records through the bootstrap node.
            try await Task.sleep(for: .seconds(1))

            // The first packet to a node never met waits for the lookup and the handshake.
            let members = Array(nodes.dropFirst())
            try await lab.requirePing(from: members[0], to: members[1].overlayIPv4)
            try await lab.requirePing(from: members[1], to: members[2].overlayIPv6)
            // Without the bootstrap node, every pair still finds each other: the records are
            // stored at the members too.
            try await lab.stop(boot)
            for source in members {
                for target in members where target !== source {
                    try await lab.requirePing(from: source, to: target.overlayIPv4)
                }
            }
            // Every member knows the others and stores records: `warren status` shows it.
            for node in members {
                let dht = try await lab.status(node).dht
                #expect(dht.contacts >= members.count - 1, "\(node.name): \(dht)")
                #expect(dht.records > 0)
                #expect(dht.lookupsSucceeded > 0)
            }
            let found = try await Command.check([lab.warren, "lookup", "--socket", members[0].socketPath, members[5].overlayIPv4])
            #expect(found.stdout.contains("is \(members[5].name) at"), "\(found.stdout)")
            let missing = try await Command.run([lab.warren, "lookup", "--socket", members[0].socketPath, "10.8.0.99"])
            #expect(!missing.succeeded && missing.stdout.contains("no record found"), "\(missing.stdout)")
            let table = try await Command.check([lab.warren, "status", "--socket", members[0].socketPath, "--dht"])
            #expect(table.stdout.contains("BUCKET") && table.stdout.contains("records stored"), "\(table.stdout)")
        }
    }

    @Test("a node whose certificate is from another CA can neither store nor fetch records")
    func foreignNodeCannotUseTheDHT() async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let b = try await lab.addNode("b")
            let other = try await lab.makeAuthority("other")
            let eve = try await lab.addNode("eve", authority: other)
            try lab.configure(boot, peers: [])
            try lab.configure(b, peers: [], bootstrap: [boot])
            try lab.configure(eve, peers: [], bootstrap: [boot])
            for node in [boot, b, eve] { try await lab.start(node) }
            try await Task.sleep(for: .seconds(1))
            // eve cannot reach b: the bootstrap node refuses her handshake, so she learns nothing.
            let reply = try await lab.ping(from: eve, to: b.overlayIPv4, deadlineSeconds: 2)
            #expect(!reply.succeeded)
            // b finds nothing for eve's address: her record was never stored.
            let back = try await lab.ping(from: b, to: eve.overlayIPv4, deadlineSeconds: 2)
            #expect(!back.succeeded)
            let status = try await lab.status(boot)
            #expect(status.refusals.contains { $0.reason.contains("another CA") })
        }
    }
}

extension IntegrationTests {
    @Test("a packet to an address nobody owns gets ICMP unreachable back, not silence")
    func unknownAddressIsUnreachable() async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
            let b = try await lab.addNode("b")
            try lab.configure(boot, peers: [])
            try lab.configure(b, peers: [], bootstrap: [boot])
            for node in [boot, b] { try await lab.start(node) }
            let started = ContinuousClock.now
            let result = try await Command.run(b.exec("ping", "-4", "-n", "-c", "1", "-w", "6", "10.8.0.77"))
            let elapsed = ContinuousClock.now - started
            #expect(!result.succeeded)
            #expect(result.stdout.contains("Unreachable"), "ping said: \(result.stdout)")
            #expect(elapsed < .seconds(5))
            print("ping to an unknown address failed as unreachable after \(elapsed)")
        }
    }
}

extension IntegrationTests {
    /// b's firewall lets only replies in from d's new address: d's own handshakes to b are
    /// dropped (as a NAT in front of b would), so b must look d's new record up itself when
    /// its handshakes to d's old address go unanswered. c gets d's handshakes and learns the
    /// new address from them.
    @Test("a node that restarts on a new underlay address, with the bootstrap node gone, is found again")
    func restartOnNewAddress() async throws {
        try await Lab.run { lab in
            var nodes: [Node] = []
            for name in ["boot", "b", "c", "d"] { nodes.append(try await lab.addNode(name)) }
            let (boot, b, c, d) = (nodes[0], nodes[1], nodes[2], nodes[3])
            try lab.configure(boot, peers: [])
            for node in [b, c, d] { try lab.configure(node, peers: [], bootstrap: [boot]) }
            for node in nodes { try await lab.start(node) }
            try await Task.sleep(for: .seconds(1))
            for (x, y) in [(b, c), (c, d), (d, b)] { try await lab.requirePing(from: x, to: y.overlayIPv4) }
            try await lab.stop(boot)

            // d moves: same key and certificate, another address, no bootstrap node to ask.
            try await lab.stop(d)
            try await Command.check(d.namespace.ip("address", "del", "\(d.underlay)/24", "dev", "eth0"))
            try await Command.check(d.namespace.ip("address", "add", "192.168.77.200/24", "dev", "eth0"))
            try await Command.check(b.exec("nft", "add", "table", "inet", "wit_firewall"))
            try await Command.check(b.exec("nft", "add", "chain", "inet", "wit_firewall", "input",
                                           "{ type filter hook input priority 0; }"))
            // The first byte after the UDP header is the message type: 1, a handshake initiation.
            try await Command.check(b.exec("nft", "add", "rule", "inet", "wit_firewall", "input", "ip", "saddr", "192.168.77.200",
                                           "udp", "dport", "\(Lab.port)", "@th,64,8", "1", "counter", "drop"))
            try await lab.start(d)
            let started = ContinuousClock.now
            var reached = false
            while !reached && ContinuousClock.now - started < .seconds(60) {
                reached = try await lab.ping(from: b, to: d.overlayIPv4, deadlineSeconds: 2).succeeded
            }
            let elapsed = ContinuousClock.now - started
            try #require(reached, "b did not reach d at its new address within 60 s")
            print("b reached d at its new address \(elapsed) after d restarted")
            try await lab.requirePing(from: c, to: d.overlayIPv4)
            try await lab.requirePing(from: d, to: b.overlayIPv6)
            let counters = try await Command.check(b.exec("nft", "list", "table", "inet", "wit_firewall"))
            #expect(!counters.stdout.contains("packets 0 "), "d's handshakes never reached b's firewall: \(counters.stdout)")
        }
    }
}
