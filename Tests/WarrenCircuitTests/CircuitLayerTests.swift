import Testing
import WarrenCrypto
import WarrenNoise
import WarrenSession
@testable import WarrenCircuit

/// A sender and its hops, each layer from a real Noise NK handshake with the hop's onion key.
struct TestCircuit {
    let origin = CircuitOrigin()
    var hops: [CircuitHop] = []
    var rng: SeededRandom

    init(hops count: Int, seed: UInt64 = 1) throws {
        rng = SeededRandom(seed: seed)
        for _ in 0..<count { try extend() }
    }

    mutating func extend() throws {
        let onionKey = X25519PrivateKey(random: &rng)
        let initiator = try NKInitiator(responderStatic: onionKey.publicKey, prologue: Array("circuit".utf8),
                                        ephemeral: X25519PrivateKey(random: &rng), payload: [])
        var reply: [UInt8] = []
        let hopResult = try NKResponder(staticKey: onionKey, prologue: Array("circuit".utf8), request: initiator.request)
            .respond(ephemeral: X25519PrivateKey(random: &rng), payload: [], message: &reply)
        origin.extend(with: CircuitLayer(try initiator.readResponse(reply).takeKeys()))
        hops.append(CircuitHop(layer: CircuitLayer(hopResult.takeKeys()), now: .zero))
    }

    /// Through every hop towards the last: what the last hop reads, with the counter each hop got.
    func forward(_ counter: UInt64, _ body: [UInt8]) -> (body: [UInt8], counters: [UInt64])? {
        var body = body
        var counter = counter
        var seen: [UInt64] = []
        for hop in hops {
            seen.append(counter)
            guard let next = hop.peel(counter, &body, now: .zero) else { return nil }
            counter = next
        }
        return (body, seen)
    }

    /// From the last hop back through the others: the counter and body the sender gets.
    func backward(_ payload: [UInt8]) -> (counter: UInt64, body: [UInt8])? {
        var body = payload
        guard var counter = hops.last!.originate(&body, now: .zero) else { return nil }
        for hop in hops.dropLast().reversed() {
            guard let next = hop.wrap(counter, &body, now: .zero) else { return nil }
            counter = next
        }
        return (counter, body)
    }

    func send(_ payload: [UInt8]) -> (counter: UInt64, body: [UInt8]) {
        var body = payload
        let counter = origin.seal(&body)!
        return (counter, body)
    }
}

@Suite("Circuit layers")
struct CircuitLayerTests {
    @Test("messages cross 1 to 8 hops both ways, a tag per hop, the body unchanged", arguments: 1...8)
    func roundTrip(hops: Int) throws {
        let circuit = try TestCircuit(hops: hops, seed: UInt64(hops))
        for size in [0, 1, 40, 1360] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ hops) }
            let sent = circuit.send(payload)
            #expect(sent.body.count == size + 16 * hops)
            #expect(circuit.forward(sent.counter, sent.body)?.body == payload)

            guard var back = circuit.backward(payload) else { Issue.record("the hops dropped a message back"); continue }
            #expect(back.body.count == size + 16 * hops)
            #expect(circuit.origin.open(back.counter, &back.body))
            #expect(back.body == payload)
        }
    }

    @Test("no two hops see the same counter for one message")
    func countersDifferPerHop() throws {
        let circuit = try TestCircuit(hops: 8)
        let sent = circuit.send([1, 2, 3])
        let counters = circuit.forward(sent.counter, sent.body)!.counters
        #expect(Set(counters).count == 8)
    }

    @Test("a message changed on any link dies at the next hop; one changed on the way back, at the sender")
    func tampering() throws {
        let circuit = try TestCircuit(hops: 3)
        for link in 0..<3 {
            for change in 0..<3 {
                var sent = circuit.send(Array(repeating: 0x45, count: 60))
                var counter = sent.counter
                for hop in circuit.hops.prefix(link) { counter = hop.peel(counter, &sent.body, now: .zero)! }
                switch change {
                case 0: sent.body[0] ^= 1
                case 1: sent.body[sent.body.count - 1] ^= 0x80
                default: counter += 1
                }
                #expect(circuit.hops[link].peel(counter, &sent.body, now: .zero) == nil, "link \(link), change \(change)")
            }
        }
        for change in 0..<2 {
            var back = circuit.backward(Array(repeating: 0x45, count: 60))!
            if change == 0 { back.body[10] ^= 4 } else { back.counter ^= 1 }
            #expect(!circuit.origin.open(back.counter, &back.body), "change \(change)")
        }
    }

    @Test("a replayed message is dropped by the hop or the sender that saw it, and a hop never seals twice at one counter")
    func replays() throws {
        let circuit = try TestCircuit(hops: 2)
        let sent = circuit.send([9, 9, 9])
        var first = sent.body
        #expect(circuit.hops[0].peel(sent.counter, &first, now: .zero) != nil)
        var again = sent.body
        #expect(circuit.hops[0].peel(sent.counter, &again, now: .zero) == nil)

        let back = circuit.backward([7])!
        var copy = back.body
        #expect(circuit.origin.open(back.counter, &copy))
        copy = back.body
        #expect(!circuit.origin.open(back.counter, &copy))

        // The next hop sends back two messages at one counter: the second is not sealed.
        var one: [UInt8] = [1], two: [UInt8] = [2]
        let counter: UInt64 = 1 << 61
        #expect(circuit.hops[0].wrap(counter, &one, now: .zero) != nil)
        #expect(circuit.hops[0].wrap(counter, &two, now: .zero) == nil)
        #expect(two == [2])
    }

    @Test("messages reordered within the window pass; one older than the window is dropped")
    func reordering() throws {
        let circuit = try TestCircuit(hops: 3)
        let sent = (0..<300).map { circuit.send([UInt8(truncatingIfNeeded: $0)]) }
        for (i, message) in sent.enumerated().reversed() {
            #expect(circuit.forward(message.counter, message.body)?.body == [UInt8(truncatingIfNeeded: i)])
        }
        let backs = (0..<300).map { circuit.backward([UInt8(truncatingIfNeeded: $0)])! }
        for message in backs.shuffled() {
            var body = message.body
            #expect(circuit.origin.open(message.counter, &body))
        }

        let old = circuit.send([0xaa])
        var latest = circuit.send([0xbb])
        for _ in 0..<Int(ReplayWindow.windowSize) { latest = circuit.send([0xbb]) }
        #expect(circuit.forward(latest.counter, latest.body) != nil)
        #expect(circuit.forward(old.counter, old.body) == nil)
    }

    @Test("a circuit extended after its last hop sent messages back keeps every message, both ways")
    func extendingKeepsCountersGrowing() throws {
        var circuit = try TestCircuit(hops: 2)
        for i in 0..<3 {
            var back = circuit.backward([UInt8(i)])!
            #expect(circuit.origin.open(back.counter, &back.body))
        }
        try circuit.extend()
        #expect(circuit.origin.hopCount == 3)
        for i in 0..<3 {
            guard var back = circuit.backward([UInt8(i)]) else { Issue.record("message \(i) back dropped by a hop"); continue }
            #expect(circuit.origin.open(back.counter, &back.body) && back.body == [UInt8(i)])
            let sent = circuit.send([UInt8(i)])
            #expect(circuit.forward(sent.counter, sent.body)?.body == [UInt8(i)])
        }
    }
}
