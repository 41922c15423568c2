import Testing
@testable import WarrenCircuit
import WarrenCrypto
@testable import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// Whole nodes building circuits through relays and carrying packets to a mesh destination
/// through them (`Node+Circuits`, `Node+Directory`, `Node+AnonymousDelivery`).
@Suite("Circuits between nodes")
struct CircuitNodeTests {
    /// Five relays, each in its own underlay /16 (so any three make a path), a destination
    /// that accepts anonymous traffic, and a sender whose route to it goes through circuits.
    struct Lab {
        let net = NodeNetwork()
        var relays: [Int] = []
        var destination = 0
        var sender = 0

        /// `withholding`: a sixth relay whose descriptor every relay's answer to the sender
        /// leaves out (the attack the union of sources and the DHT are for).
        init(acceptAnonymous: Bool = true, senderKnowsDestination: Bool = false, withholding: Bool = false,
             settle: Duration = .seconds(15)) {
            for i in 0..<(withholding ? 6 : 5) {
                let endpoint = Endpoint("172.\(16 + i).0.1:51820")!
                relays.append(net.add("r\(i)", host: UInt8(1 + i), endpoint: endpoint, roles: .relay, bootstrap: relays) {
                    $0.advertise = [endpoint]
                    $0.circuits.relay = true
                })
            }
            destination = net.add("d", host: 40, bootstrap: [relays[0]]) { $0.circuits.acceptAnonymous = acceptAnonymous }
            let route = IPPrefix("10.8.0.40/32")!
            sender = net.add("s", host: 50, staticPeers: senderKnowsDestination ? [destination] : [], bootstrap: Array(relays.prefix(3))) {
                $0.circuits.routes = [route]
            }
            if withholding { withhold(relays[5], from: sender) }
            for i in net.members.indices { net.start(i) }
            net.run(for: settle)
        }

        func member(_ i: Int) -> Node { net.members[i].node }

        /// Every relay leaves `relay`'s descriptor out of what it gives `receiver`, but a node
        /// asked for the shard that keeps it gives it.
        private func withhold(_ relay: Int, from receiver: Int) {
            let net = net
            let hidden = net.members[relay].certificate.publicKey
            let relayKeys = Set(relays.map { net.members[$0].certificate.publicKey })
            net.withholds = { message, at, from in
                guard at == receiver, relayKeys.contains(from), case .descriptor(let descriptor)? = try? DirectoryMessage(parsing: message),
                      (try? UncheckedCertificate(parsing: descriptor.certificate))?.body.publicKey == hidden else { return false }
                return !net.members[receiver].node.askedShard(of: hidden, from: from)
            }
        }

        /// An echo request from the sender to the destination, through the sender's send path.
        func ping(identifier: UInt16, sequence: UInt16 = 1) {
            net.send(icmpEcho(from: address(sender), to: address(destination), identifier: identifier, sequence: sequence), from: sender)
        }
        func address(_ i: Int) -> IPv4Address { net.members[i].ipv4 }
    }

    @Test("relays learn each other's descriptors and the sender's directory is complete within 2 s of the start")
    func directory() {
        let early = Lab(settle: .seconds(2))
        #expect(early.member(early.sender).relayDirectory.isComplete)
        let lab = Lab()
        for r in lab.relays {
            #expect(lab.member(r).relayDirectory.relays(now: lab.net.now.unixSeconds).count == 4, "r\(r) knows the other four")
        }
        #expect(lab.member(lab.sender).relayDirectory.isComplete)
        #expect(lab.member(lab.sender).relayDirectory.relays(now: lab.net.now.unixSeconds).count == 5)
        #expect(lab.member(lab.destination).relayDirectory.relays(now: lab.net.now.unixSeconds).isEmpty, "no circuits, no list")
    }

    @Test("a relay every list leaves out is found in the DHT, kept under its shard's key; a shard's nodes are no sources")
    func withheldRelayFoundInDHT() {
        let lab = Lab(withholding: true)
        // The sender reads the shards again a round later, when the hidden relay's descriptor
        // is stored whatever order the first lookups ran in.
        lab.net.run(for: Node.directoryInterval, step: .seconds(1))
        let now = lab.net.now.unixSeconds
        let hidden = lab.net.members[lab.relays[5]].certificate.publicKey
        let keepers = lab.net.members.indices.filter { i in
            lab.member(i).keptDescriptors.relays(now: now).contains { $0.node == hidden }
        }
        #expect(keepers.count >= Node.shardSourcesAsked, "stored at the nodes closest to its shard's key")
        #expect(lab.net.withheld > 0, "the relays' lists did leave it out")
        let directory = lab.member(lab.sender).relayDirectory
        #expect(directory.relays(now: now).contains { $0.node == hidden })
        #expect(directory.relays(now: now).count == 6)
        let relayKeys = Set(lab.relays.map { lab.net.members[$0].certificate.publicKey })
        #expect(directory.isComplete && directory.sources.isSubset(of: relayKeys), "only relays' whole lists count as sources")
    }

    @Test("a relay lists only the endpoints peers reached it at; one reached at none publishes nothing, and says so once")
    func reachability() {
        let lab = Lab()
        let net = lab.net
        let reachable = Endpoint("172.30.0.1:51820")!, dead = Endpoint("172.31.0.1:51820")!
        let partly = net.add("r5", host: 6, endpoint: reachable, roles: .relay, bootstrap: lab.relays) {
            $0.advertise = [dead, reachable]
            $0.circuits.relay = true
        }
        let silent = net.add("r6", host: 7, endpoint: Endpoint("172.29.0.1:51820")!, roles: .relay, bootstrap: lab.relays) {
            $0.advertise = [dead]
            $0.circuits.relay = true
        }
        net.start(partly)
        net.start(silent)
        net.run(for: .seconds(90))
        let directory = lab.member(lab.relays[0]).relayDirectory
        #expect(directory.endpoints(of: net.members[partly].certificate.publicKey) == [reachable])
        #expect(directory.endpoints(of: net.members[silent].certificate.publicKey).isEmpty)
        #expect(lab.member(partly).ownDescriptor?.endpoints == [reachable])
        #expect(lab.member(silent).ownDescriptor == nil)
        let warnings = net.logs(at: silent).filter { $0.level == .warning && $0.message.hasPrefix("relay not published") }
        #expect(warnings.count == 1, "checked again every 30 s, warned once")
        #expect(net.sends(at: lab.relays[1], to: dead).count >= 3, "a peer dialled back, retransmitting")
    }

    @Test("only a relay gets a dial-back, and at a bounded rate; never to this host or the overlay")
    func dialBackLimits() {
        let lab = Lab()
        let net = lab.net
        let target = Endpoint("172.31.0.1:51820")!
        let asked = lab.relays[1]
        let check = DirectoryMessage.reachCheck([target]).encoded
        net.sendControl(check, from: lab.destination, to: asked)
        #expect(net.sends(at: asked, to: target).isEmpty, "a member that is no relay")
        for _ in 0..<10 { net.sendControl(check, from: lab.relays[0], to: asked) }
        net.run(for: .seconds(5))
        let probes = net.sends(at: asked, to: target).count
        #expect(probes == 3 * Int(Node.dialBackBurst), "the burst, each request sent with its two retransmissions")
        net.sendControl(DirectoryMessage.reachCheck([Endpoint("10.8.0.9:51820")!, Endpoint("127.0.0.1:51820")!]).encoded,
                        from: lab.relays[2], to: asked)
        #expect(net.sends(at: asked, to: Endpoint("10.8.0.9:51820")!).isEmpty && net.sends(at: asked, to: Endpoint("127.0.0.1:51820")!).isEmpty)
    }

    @Test("the sender builds a circuit in use and a spare, three hops each, and each hop knows only its neighbours")
    func builds() throws {
        let lab = Lab()
        let pool = try #require(lab.member(lab.sender).circuitPool)
        #expect(pool.circuits.count == CircuitPool.readyCount)
        let relayed = lab.relays.map { lab.member($0).circuitRelay?.withRelay(\.circuitCount) ?? 0 }
        #expect(relayed.reduce(0, +) == CircuitPool.readyCount * 3)
        let sender = lab.net.members[lab.sender].certificate.publicKey
        for circuit in pool.circuits.values {
            #expect(circuit.path.count == 3)
            #expect(CircuitPath.isValid(circuit.path, excluding: [sender]))
            // Each hop knows the hop before and the hop after, and no more: the sender only
            // at the guard, and nobody the destination (the route is the last hop's job).
            let hops = circuit.path.map(\.node)
            let expected = [(sender, hops[1]), (hops[0], hops[2]), (hops[1], nil)]
            for (hop, (previous, next)) in zip(hops, expected) {
                let relay = lab.relays.first { lab.net.members[$0].certificate.publicKey == hop }!
                #expect(lab.member(relay).circuitRelay!.withRelay(\.neighbours).contains { $0.previous == previous && $0.next == next })
                #expect(!lab.member(relay).circuitRelay!.withRelay(\.neighbours).contains { $0.previous == sender } || hop == hops[0])
            }
        }
        #expect(lab.net.logs(at: lab.sender).contains { $0.message == "circuit built" && $0.fields[.count] == "3 hops" })
    }

    @Test("a ping goes through a circuit and its answer comes back; the destination sees only the last hop")
    func ping() throws {
        let lab = Lab()
        let request = icmpEcho(from: lab.address(lab.sender), to: lab.address(lab.destination), identifier: 0x1234, sequence: 1)
        lab.net.send(request, from: lab.sender)
        let arrived = try #require(lab.net.delivered[lab.destination].last)
        let flow = try #require(IPv4Flow(of: arrived))
        #expect(flow.destination == lab.address(lab.destination))
        let lastHops = lab.relays.map(lab.address)
        #expect(lastHops.contains(flow.source), "from a relay's own address, not the sender's")
        #expect(checksumsHold(arrived))

        // The destination's host answers, as its kernel would.
        lab.net.send(echoReply(to: arrived), from: lab.destination)
        let answer = try #require(lab.net.delivered[lab.sender].last)
        let back = try #require(IPv4Flow(of: answer))
        #expect(back.source == lab.address(lab.destination) && back.destination == lab.address(lab.sender))
        #expect(back.destinationPort == 0x1234, "the sender's own identifier again")
        #expect(answer[20] == 0, "an echo reply")
        #expect(checksumsHold(answer))
    }

    @Test("after a flow's first packet the packet threads carry it both ways: at the sender, every relay and the destination")
    func packetThreads() throws {
        let lab = Lab()
        lab.ping(identifier: 77, sequence: 1)
        lab.net.send(echoReply(to: try #require(lab.net.delivered[lab.destination].last)), from: lab.destination)
        let pool = try #require(lab.member(lab.sender).circuitPool)
        let circuit = try #require(pool.circuits.values.first { $0.bytesSent > 0 })
        let relays = circuit.path.map { hop in lab.relays.first { lab.net.members[$0].certificate.publicKey == hop.node }! }
        func circuitEvents(_ i: Int) -> Int {
            lab.net.handedOver[i].count { event in
                switch event {
                case .viaCircuit, .circuitCommand, .circuitAnswer: true
                case .control(let bytes, _, _): bytes.first == CircuitMessage.controlKind
                default: false
                }
            }
        }
        let before = ([lab.sender] + relays).map(circuitEvents)
        let (toDestination, toSender) = (lab.net.delivered[lab.destination].count, lab.net.delivered[lab.sender].count)
        for sequence: UInt16 in 2...6 {
            lab.ping(identifier: 77, sequence: sequence)
            lab.net.send(echoReply(to: try #require(lab.net.delivered[lab.destination].last)), from: lab.destination)
        }
        #expect(lab.net.delivered[lab.destination].count == toDestination + 5 && lab.net.delivered[lab.sender].count == toSender + 5)
        let answers = lab.net.delivered[lab.sender].suffix(5).compactMap { IPv4Flow(of: $0) }
        #expect(answers.count == 5 && answers.allSatisfy { $0.destination == lab.address(lab.sender) && $0.destinationPort == 77 })
        let after = ([lab.sender] + relays).map(circuitEvents)
        #expect(after[0] == before[0], "the sender's control thread saw none of them")
        #expect(after[1] == before[1] && after[2] == before[2], "neither did the guard's nor the middle's")
        #expect(after[3] == before[3], "nor the last hop's: its packet thread delivers them and sends the answers back")
        #expect(lab.net.handedOver[lab.destination].count { if case .control(let bytes, _, _) = $0 { bytes.first == AnonymousDelivery.controlKind } else { false } } == 0,
                "the destination's packet thread took every delivery")
        #expect(circuit.bytesSent > 5 * 36 && circuit.bytesReceived > 5 * 36)
    }

    @Test("a sender that restarts with its saved directory builds circuits at once, without any bootstrap node")
    func savedDirectory() throws {
        let lab = Lab()
        lab.net.run(for: .seconds(61))
        let saved = try #require(lab.net.performed[lab.sender].compactMap { if case .saveDirectory(let d) = $0 { d } else { nil } }.last)
        #expect(saved.descriptors.count == 5 && saved.sources.count >= RelayDirectory.minimumSources)
        let route = IPPrefix("10.8.0.40/32")!
        let restarted = lab.net.add("s2", host: 51, bootstrap: []) {
            $0.circuits.routes = [route]
            $0.circuits.directory = saved
        }
        lab.net.start(restarted)
        #expect(lab.member(restarted).relayDirectory.isComplete)
        lab.net.run(for: .seconds(1))
        #expect(lab.member(restarted).circuitPool?.circuits.count == CircuitPool.readyCount)
        lab.net.send(icmpEcho(from: lab.address(restarted), to: lab.address(lab.destination), identifier: 5, sequence: 1), from: restarted)
        let arrived = try #require(lab.net.delivered[lab.destination].last)
        #expect(lab.relays.map(lab.address).contains(try #require(IPv4Flow(of: arrived)).source), "through a circuit's last hop")
    }

    @Test("a relay that joins a minute's young network is in the sender's saved directory within seconds")
    func grownDirectorySaved() throws {
        let lab = Lab()
        let endpoint = Endpoint("172.30.0.1:51820")!
        let late = lab.net.add("r5", host: 6, endpoint: endpoint, roles: .relay, bootstrap: lab.relays) {
            $0.advertise = [endpoint]
            $0.circuits.relay = true
        }
        lab.net.start(late)
        lab.net.run(for: .seconds(5))
        let saved = try #require(lab.net.performed[lab.sender].compactMap { if case .saveDirectory(let d) = $0 { d } else { nil } }.last)
        #expect(saved.descriptors.count == 6, "passed on by the relays that gave their lists, and saved at once")
    }

    @Test("a sender with a session to the destination still reaches it only through a circuit")
    func routeWins() throws {
        let lab = Lab(senderKnowsDestination: true)
        #expect(lab.member(lab.sender).manager.isConnected(lab.net.members[lab.destination].certificate.publicKey, now: lab.net.now.instant))
        lab.ping(identifier: 9)
        let arrived = try #require(lab.net.delivered[lab.destination].last)
        #expect(IPv4Flow(of: arrived)?.source != lab.address(lab.sender))
    }

    @Test("a packet larger than a circuit carries gets ICMP fragmentation needed with the circuit MTU")
    func tooBig() throws {
        let lab = Lab()
        var big = icmpEcho(from: lab.address(lab.sender), to: lab.address(lab.destination), identifier: 1, sequence: 1)
        big += Array(repeating: 0, count: CircuitMessage.circuitMTU + 1 - big.count)
        big[2] = UInt8(big.count >> 8)
        big[3] = UInt8(big.count & 0xff)
        lab.net.send(big, from: lab.sender)
        let error = try #require(lab.net.delivered[lab.sender].last)
        #expect(error[9] == 1 && error[20] == 3 && error[21] == 4, "ICMP destination unreachable, fragmentation needed")
        #expect(Int(error[26]) << 8 | Int(error[27]) == CircuitMessage.circuitMTU)
        #expect(lab.net.delivered[lab.destination].isEmpty)
    }

    @Test("warren circuits shows the sender's circuits by hop name and role, and the guards are kept")
    func report() throws {
        let lab = Lab()
        lab.ping(identifier: 3)
        guard case .circuits(let report)? = lab.net.request(.circuits, at: lab.sender) else {
            Issue.record("no circuits report")
            return
        }
        #expect(report.routes == ["10.8.0.40/32"] && report.relaysListed == 5 && report.directoryComplete)
        #expect(report.circuits.count == 2 && report.circuits.map(\.state).sorted() == ["in use", "spare"])
        let inUse = try #require(report.circuits.first { $0.state == "in use" })
        #expect(inUse.hops.map(\.role) == ["guard", "middle", "last"] && inUse.hops.allSatisfy { $0.name.hasPrefix("r") })
        #expect(inUse.flows == 1 && inUse.sentBytes > 0 && report.guardName == inUse.hops[0].name)
        #expect(report.relaying == nil)
        guard case .circuits(let relayReport)? = lab.net.request(.circuits, at: lab.relays[0]) else { return }
        #expect(relayReport.routes.isEmpty && relayReport.relaying != nil)
        let saved = lab.net.performed[lab.sender].compactMap { if case .saveGuards(let g) = $0 { g } else { nil } }
        #expect(saved.last?.sampled.count == 5 && saved.last?.primaries(listed: Set(lab.relays.map { lab.net.members[$0].certificate.publicKey })).first?.builds == 2)
    }

    @Test("when the middle goes away the flow resumes within 3 s from the same last hop address and port")
    func middleLost() throws {
        let lab = Lab()
        lab.ping(identifier: 77)
        let first = try #require(lab.net.delivered[lab.destination].last.flatMap(IPv4Flow.init(of:)))
        let circuit = try #require(lab.member(lab.sender).circuitPool?.circuits.values.first { $0.bytesSent > 0 })
        let middle = try #require(lab.relays.first { lab.net.members[$0].certificate.publicKey == circuit.path[1].node })
        lab.net.vanish(middle)
        let lostAt = lab.net.now.instant
        var sequence: UInt16 = 2
        var resumed: Duration?
        while resumed == nil && lab.net.now.instant.since(lostAt) < .seconds(5) {
            let count = lab.net.delivered[lab.destination].count
            lab.ping(identifier: 77, sequence: sequence)
            sequence += 1
            lab.net.run(for: .milliseconds(200))
            if lab.net.delivered[lab.destination].count > count { resumed = lab.net.now.instant.since(lostAt) }
        }
        let took = try #require(resumed, "the flow never resumed")
        #expect(took <= .seconds(3), "resumed after \(took)")
        let again = try #require(lab.net.delivered[lab.destination].last.flatMap(IPv4Flow.init(of:)))
        #expect(again.source == first.source && again.sourcePort == first.sourcePort, "same last hop, same translation")
        #expect(lab.net.logs(at: lab.sender).contains { $0.message == "circuit lost a hop, replacing it" })
    }

    @Test("when the sender's underlay address changes its circuits carry on at once")
    func senderMoves() throws {
        let lab = Lab()
        lab.ping(identifier: 5)
        #expect(lab.net.delivered[lab.sender].count == 0 && lab.net.delivered[lab.destination].count == 1)
        lab.net.send(echoReply(to: lab.net.delivered[lab.destination][0]), from: lab.destination)
        #expect(lab.net.delivered[lab.sender].count == 1)
        lab.net.move(lab.sender, to: Endpoint("198.51.100.50:40000")!)
        lab.ping(identifier: 5, sequence: 2)
        #expect(lab.net.delivered[lab.destination].count == 2, "the guard took the packet from the new address")
        lab.net.send(echoReply(to: lab.net.delivered[lab.destination][1]), from: lab.destination)
        #expect(lab.net.delivered[lab.sender].count == 2, "and sent the answer there")
    }

    @Test("a destination that does not accept anonymous traffic drops what a last hop delivers")
    func refused() {
        let lab = Lab(acceptAnonymous: false)
        let request = icmpEcho(from: lab.address(lab.sender), to: lab.address(lab.destination), identifier: 7, sequence: 1)
        lab.net.handle(.packet(.viaCircuit(request)), at: lab.sender)
        #expect(lab.net.delivered[lab.destination].isEmpty)
        #expect(lab.member(lab.destination).drops[.circuitRefused] == 1)
    }
}

/// An ICMP echo request with its checksums right.
func icmpEcho(from source: IPv4Address, to destination: IPv4Address, identifier: UInt16, sequence: UInt16) -> [UInt8] {
    var packet: [UInt8] = [0x45, 0, 0, 36, 0, 0, 0x40, 0, 64, 1, 0, 0] + source.bytes + destination.bytes
    packet += [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xff), UInt8(sequence >> 8), UInt8(sequence & 0xff)]
    packet += [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]
    IPv4Flow(of: packet)!.write(into: &packet)
    return packet
}

/// What a host answers to `request`, an echo request: addresses swapped, type 0.
func echoReply(to request: [UInt8]) -> [UInt8] {
    var reply = request
    reply[20] = 0
    var flow = IPv4Flow(of: request)!
    swap(&flow.source, &flow.destination)
    flow.write(into: &reply)
    return reply
}

/// Whether the IPv4 header checksum and the ICMP checksum of `packet` verify.
func checksumsHold(_ packet: [UInt8]) -> Bool {
    packet.withUnsafeBytes { p in
        InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: p[0..<20])) && InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: p[20...]))
    }
}

extension CircuitNodeTests {
    @Test("a member that is no relay cannot pass its own packets off as a circuit's")
    func deliveryFromNonRelay() throws {
        let lab = Lab()
        let own = lab.address(lab.sender)
        var packet = icmpEcho(from: own, to: lab.address(lab.destination), identifier: 2, sequence: 1)
        IPv4Flow(of: packet)!.write(into: &packet)
        // The sender has a session with the destination through the DHT or not: make one.
        lab.net.sendControl(AnonymousDelivery.encode(packet), from: lab.sender, to: lab.destination)
        lab.net.run(for: .seconds(1))
        #expect(lab.net.delivered[lab.destination].isEmpty)
        #expect(lab.member(lab.destination).drops[.circuitRefused] >= 1)
    }
}

extension CircuitNodeTests {
    @Test("a descriptor whose certificate does not parse is counted malformed; one to a node without circuits, unsolicited")
    func badDescriptor() throws {
        let lab = Lab()
        var descriptor = try #require(lab.member(lab.relays[0]).ownDescriptor)
        descriptor.certificate = [1, 2, 3]
        /// From a relay member `i` has a session with.
        func deliver(to i: Int) throws {
            let links = lab.relays.compactMap { lab.net.members[i].snapshot.route(toPeer: lab.net.members[$0].certificate.publicKey)?.link }
            let link = try #require(links.first)
            let endpoint = try #require(lab.net.members.first { $0.certificate.publicKey == link.publicKey }?.endpoint)
            lab.net.handle(.packet(.control(DirectoryMessage.descriptor(descriptor).encoded, link: link, from: .direct(endpoint))), at: i)
        }
        let (malformed, unsolicited) = (lab.member(lab.sender).drops[.malformed], lab.member(lab.destination).drops[.unsolicited])
        try deliver(to: lab.sender)
        #expect(lab.member(lab.sender).drops[.malformed] == malformed + 1)
        try deliver(to: lab.destination)
        #expect(lab.member(lab.destination).drops[.unsolicited] == unsolicited + 1)
    }
}
