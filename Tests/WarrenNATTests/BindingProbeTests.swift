import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenNAT

@Suite("STUN client and NAT mapping")
struct BindingProbeTests {
    let serverA = Endpoint("203.0.113.1:3478")!, serverB = Endpoint("198.51.100.2:3478")!
    let start = Instant(nanoseconds: 10_000_000_000)

    /// Answers `bytes` as a STUN server at `server` would, seeing the request come from `seen`.
    func answer(_ bytes: [UInt8], seen: Endpoint) throws -> STUNMessage {
        var server = STUNResponder()
        guard case .respond(let reply) = server.handle(try STUNMessage(parsing: bytes), from: seen, now: start) else {
            throw STUNError.notSTUN
        }
        return try STUNMessage(parsing: reply)
    }

    @Test("requests go to every server; answers give each its reflexive address and round trip")
    func answers() throws {
        var random = SeededRandom(seed: 1)
        var probe = BindingProbe(servers: [serverA, serverB], random: &random)
        let first = probe.poll(now: start)
        #expect(first.map(\.to) == [serverA, serverB])
        let early = probe.poll(now: start + .milliseconds(100))
        #expect(early.isEmpty)
        let mapped = Endpoint("192.0.2.50:61000")!
        let tookA = probe.handle(try answer(first[0].bytes, seen: mapped), from: serverA, now: start + .milliseconds(40))
        #expect(tookA)
        // The same answer again, or one to nobody's request, is not taken.
        let tookAgain = probe.handle(try answer(first[0].bytes, seen: mapped), from: serverA, now: start + .milliseconds(41))
        #expect(!tookAgain)
        var stranger = try answer(first[0].bytes, seen: mapped)
        stranger = STUNMessage(class: .success, transactionID: TransactionID(Array(repeating: 9, count: 12)),
                               attributes: stranger.attributes)
        let tookStranger = probe.handle(stranger, from: serverA, now: start)
        #expect(!tookStranger)
        #expect(probe.results[0].mapped == mapped && probe.results[0].roundTrip == .milliseconds(40))
        #expect(!probe.isFinished(now: start + .milliseconds(50)))
        let tookB = probe.handle(try answer(first[1].bytes, seen: mapped), from: serverA, now: start + .milliseconds(90))
        #expect(tookB)
        #expect(probe.isFinished(now: start + .milliseconds(90)))
        #expect(MappingBehaviour.classify(probe.results, local: [Endpoint("10.0.0.5:51820")!]) == .endpointIndependent)
    }

    @Test("an unanswered server gets two retransmissions with the same transaction ID, then counts as silent")
    func retransmissions() {
        var random = SeededRandom(seed: 2)
        var probe = BindingProbe(servers: [serverA], random: &random)
        let sent = [0, 499, 500, 1499, 1500, 2999].flatMap { probe.poll(now: start + .milliseconds($0)) }
        #expect(sent.count == 3)
        #expect(Set(sent.map { $0.bytes }).count == 1)
        #expect(!probe.isFinished(now: start + .milliseconds(2999)))
        #expect(probe.isFinished(now: start + .milliseconds(3000)))
        let late = probe.poll(now: start + .seconds(4))
        #expect(late.isEmpty)
        #expect(MappingBehaviour.classify(probe.results, local: []) == .noAnswer)
    }

    @Test("a request added later goes out at the next poll and is retransmitted on its own schedule, once per server")
    func addedRequest() {
        var random = SeededRandom(seed: 3)
        var probe = BindingProbe(servers: [serverA], random: &random)
        _ = probe.poll(now: start)
        #expect(probe.ask(serverB, random: &random))
        #expect(!probe.ask(serverB, random: &random), "asked already")
        #expect(!probe.ask(serverA, random: &random), "asked already")
        #expect(probe.nextDeadline() == start)
        func sentToB(at ms: Int64) -> Int { probe.poll(now: start + .milliseconds(ms)).filter { $0.to == serverB }.count }
        #expect(sentToB(at: 200) == 1)
        #expect(sentToB(at: 600) == 0, "500 ms after its own first transmission, not the probe's")
        #expect(sentToB(at: 700) == 1)
        #expect(sentToB(at: 1700) == 1)
        #expect(!probe.isFinished(now: start + .milliseconds(3000)), "given up 3 s after its own first transmission")
        #expect(probe.isFinished(now: start + .milliseconds(3200)))
    }

    @Test("mapping: none when a server sees the local address, dependent when servers see different ones")
    func classification() {
        func result(_ server: Endpoint, _ mapped: String?) -> BindingProbe.Result {
            var r = BindingProbe.Result(server: server)
            r.mapped = mapped.flatMap { Endpoint($0) }
            return r
        }
        let local = [Endpoint("192.0.2.9:51820")!]
        #expect(MappingBehaviour.classify([result(serverA, "192.0.2.9:51820")], local: local) == .none)
        #expect(MappingBehaviour.classify([result(serverA, "198.18.0.1:1000"), result(serverB, "198.18.0.1:1001")], local: local)
                == .endpointDependent)
        #expect(MappingBehaviour.classify([result(serverA, "198.18.0.1:1000")], local: local) == .unknown)
        // Two servers on one address cannot tell.
        #expect(MappingBehaviour.classify([result(serverA, "198.18.0.1:1000"), result(Endpoint("203.0.113.1:3479")!, "198.18.0.1:1000")],
                                          local: local) == .unknown)
    }
}
