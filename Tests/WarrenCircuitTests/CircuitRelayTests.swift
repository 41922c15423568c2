import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

/// A sender and relays that pass circuit messages to each other by node key, as their
/// sessions would, until nothing is left to deliver.
final class CircuitNetwork {
    var rng = SeededRandom(seed: 5)
    let sender: Key32
    var relays: [Key32: CircuitRelay] = [:]
    var onionKeys: [Key32: Key32] = [:]
    var order: [Key32] = []
    var now = Instant(nanoseconds: 1_000_000_000)
    /// What reached the sender from its first hop, what left circuits at their last hop, and
    /// the tokens senders attached there.
    var toSender: [CircuitMessage] = []
    var left: [(relay: Key32, packet: [UInt8])] = []
    var attached: [(relay: Key32, token: UInt128, circuit: CircuitRelay.Link)] = []
    /// Every message on a link, with who sent it and who got it.
    var wire: [(from: Key32, to: Key32, message: CircuitMessage)] = []

    init(relays count: Int) {
        sender = SigningKey(random: &rng).publicKey
        for _ in 0..<count {
            let node = SigningKey(random: &rng).publicKey
            let ring = OnionKeyRing(now: 1_800_000_000, random: &rng)
            onionKeys[node] = ring.published[0].key
            relays[node] = CircuitRelay(own: node, onionKeys: ring, random: SeededRandom(seed: UInt64(relays.count + 100)))
            order.append(node)
        }
    }

    func path(_ indices: [Int]) -> [CircuitHopSpec] {
        indices.map { CircuitHopSpec(node: order[$0], onionKey: onionKeys[order[$0]]!) }
    }

    /// Sends `message` from `from` to `to` and everything it causes.
    func deliver(_ message: CircuitMessage, from: Key32, to: Key32) {
        var queue = [(from, to, message)]
        while !queue.isEmpty {
            let (from, to, message) = queue.removeFirst()
            wire.append((from, to, message))
            // Over the wire and back: what a neighbour decodes is what was sent.
            let received = try! CircuitMessage(parsing: message.encoded)
            if to == sender {
                toSender.append(received)
                continue
            }
            guard let relay = relays[to] else { continue }
            var actions: [CircuitRelay.Action] = []
            relay.handle(received, from: from, now: now, into: &actions)
            for action in actions {
                switch action {
                case .send(let next, let peer): queue.append((to, peer, next))
                case .leave(let packet, _): left.append((to, packet))
                case .attach(let token, let circuit): attached.append((to, token, circuit))
                }
            }
        }
    }

    /// Builds a circuit over `indices`; the build, finished or not.
    func build(_ indices: [Int], circuitID: UInt32 = 77) -> CircuitBuild {
        let build = CircuitBuild(path: path(indices), circuitID: circuitID, random: &rng, now: now)!
        let first = order[indices[0]]
        deliver(build.create, from: sender, to: first)
        while !toSender.isEmpty {
            let message = toSender.removeFirst()
            if case .send(let next) = build.handle(message, random: &rng) { deliver(next, from: sender, to: first) }
        }
        return build
    }
}

@Suite("Circuit builds and relays")
struct CircuitRelayTests {
    @Test("a 3-hop circuit is built hop by hop and carries a packet to its last hop", arguments: [1, 2, 3, 5, 8])
    func buildAndSend(hops: Int) throws {
        let net = CircuitNetwork(relays: 8)
        let build = net.build(Array(0..<hops))
        #expect(build.isBuilt && build.failure == nil)
        // Every relay on the path holds one circuit; no other does.
        #expect(net.order.map { net.relays[$0]!.circuitCount } == (0..<8).map { $0 < hops ? 1 : 0 })

        let packet: [UInt8] = [0x45, 0, 0, 28] + Array(repeating: 7, count: 24)
        var body = packet
        let counter = build.origin.seal(&body)!
        net.deliver(CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: counter, body: body), from: net.sender, to: net.order[0])
        #expect(net.left.count == 1 && net.left.first?.relay == net.order[hops - 1] && net.left.first?.packet == packet)
    }

    @Test("each relay hears only its two neighbours, and each link has its own circuit ID and counters")
    func relaysKnowOnlyNeighbours() throws {
        let net = CircuitNetwork(relays: 3)
        let build = net.build([0, 1, 2])
        #expect(build.isBuilt)
        var body: [UInt8] = [0x45, 1, 2, 3]
        let counter = build.origin.seal(&body)!
        net.deliver(CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: counter, body: body), from: net.sender, to: net.order[0])
        let nodes = [net.sender] + net.order
        for (i, relay) in net.order.enumerated() {
            let talked = Set(net.wire.filter { $0.from == relay || $0.to == relay }.flatMap { [$0.from, $0.to] }).subtracting([relay])
            let expected = Set([nodes[i], i + 2 < nodes.count ? nodes[i + 2] : nil].compactMap { $0 })
            #expect(talked == expected, "relay \(i)")
        }
        let data = net.wire.suffix(3)
        #expect(Set(data.map(\.message.circuitID)).count == 3)
        #expect(Set(data.map(\.message.counter)).count == 3)
    }

    @Test("a build whose hop does not answer, or cannot (another onion key), fails at the deadline; a bad reply fails it at once")
    func failures() throws {
        let net = CircuitNetwork(relays: 3)
        net.relays[net.order[1]] = nil   // gone
        let build = net.build([0, 1, 2])
        #expect(!build.isBuilt && build.failure == nil)
        #expect(build.handleTimeout(now: net.now + .seconds(9)) == .ignored)
        #expect(build.handleTimeout(now: net.now + .seconds(10)) == .failed(.timedOut(hop: 1)))

        // The second hop's descriptor names an onion key its node does not hold.
        let other = CircuitNetwork(relays: 3)
        var path = other.path([0, 1, 2])
        path[1] = CircuitHopSpec(node: path[1].node, onionKey: X25519PrivateKey(random: &other.rng).publicKey)
        let wrongKey = CircuitBuild(path: path, circuitID: 5, random: &other.rng, now: other.now)!
        other.deliver(wrongKey.create, from: other.sender, to: other.order[0])
        guard case .send(let extend) = wrongKey.handle(other.toSender.removeFirst(), random: &other.rng) else {
            Issue.record("no extend after the first hop's reply")
            return
        }
        other.deliver(extend, from: other.sender, to: other.order[0])
        #expect(other.relays[other.order[1]]!.drops[.badHandshake] == 1)
        #expect(other.toSender.isEmpty && !wrongKey.isBuilt)

        // The first hop's reply changed: not a proof of its onion key.
        let third = CircuitNetwork(relays: 1)
        let changed = CircuitBuild(path: third.path([0]), circuitID: 6, random: &third.rng, now: third.now)!
        third.deliver(changed.create, from: third.sender, to: third.order[0])
        var created = third.toSender.removeFirst()
        created.body[40] ^= 1
        #expect(changed.handle(created, random: &third.rng) == .failed(.badReply(hop: 0)))
    }

    @Test("a neighbour gets 90 creates at once and 3 a second after")
    func createRateLimit() throws {
        let net = CircuitNetwork(relays: 1)
        let relay = net.relays[net.order[0]]!
        var refusedAt: Int?
        for i in 0..<100 {
            let build = CircuitBuild(path: net.path([0]), circuitID: UInt32(i + 1), random: &net.rng, now: net.now)!
            var actions: [CircuitRelay.Action] = []
            relay.handle(build.create, from: net.sender, now: net.now, into: &actions)
            if actions.isEmpty, refusedAt == nil { refusedAt = i }
        }
        #expect(refusedAt == 90)
        #expect(relay.drops[.refusedCreate] == 10)
        net.now = net.now + .seconds(1)
        var accepted = 0
        for i in 0..<5 {
            let build = CircuitBuild(path: net.path([0]), circuitID: UInt32(200 + i), random: &net.rng, now: net.now)!
            var actions: [CircuitRelay.Action] = []
            relay.handle(build.create, from: net.sender, now: net.now, into: &actions)
            accepted += actions.count
        }
        #expect(accepted == 3)
    }

    @Test("a circuit's last hop extends it at most eight times, and never to itself")
    func extendLimit() throws {
        let net = CircuitNetwork(relays: 2)
        let build = net.build([0])
        #expect(build.isBuilt)
        let relay = net.relays[net.order[0]]!
        var creates = 0
        for i in 0..<12 {
            let target = i == 0 ? net.order[0] : net.order[1]
            var body = CircuitCommand.extend(node: target, request: Array(repeating: UInt8(i), count: 48)).encoded
            let counter = build.origin.seal(&body)!
            var actions: [CircuitRelay.Action] = []
            relay.handle(CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: counter, body: body), from: net.sender,
                         now: net.now, into: &actions)
            creates += actions.count
        }
        #expect(creates == CircuitRelay.maxExtends)
        #expect(relay.drops[.refusedExtend] == 12 - CircuitRelay.maxExtends)
    }

    @Test("messages on links no circuit uses, changed in transit, or replayed are dropped and counted")
    func strayMessages() throws {
        let net = CircuitNetwork(relays: 2)
        let build = net.build([0, 1])
        let relay = net.relays[net.order[0]]!
        var body: [UInt8] = [0x45, 9]
        let counter = build.origin.seal(&body)!
        let good = CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: counter, body: body)
        var actions: [CircuitRelay.Action] = []
        var tampered = good
        tampered.body[0] ^= 1
        relay.handle(tampered, from: net.sender, now: net.now, into: &actions)
        relay.handle(CircuitMessage(kind: .forward, circuitID: 999, counter: counter, body: body), from: net.sender, now: net.now, into: &actions)
        relay.handle(good, from: net.order[1], now: net.now, into: &actions)   // right ID, wrong neighbour
        relay.handle(CircuitMessage(kind: .backward, circuitID: build.circuitID, counter: 1, body: body), from: net.sender, now: net.now,
                     into: &actions)
        #expect(actions.isEmpty)
        relay.handle(good, from: net.sender, now: net.now, into: &actions)
        #expect(actions.count == 1)
        relay.handle(good, from: net.sender, now: net.now, into: &actions)
        #expect(actions.count == 1)
        #expect(relay.drops[.badLayer] == 2 && relay.drops[.unknownCircuit] == 3)
    }

    @Test("an idle circuit is forgotten after five minutes, one in use is kept")
    func idleExpiry() throws {
        let net = CircuitNetwork(relays: 2)
        let quiet = net.build([0, 1], circuitID: 1)
        let busy = net.build([0, 1], circuitID: 2)
        #expect(quiet.isBuilt && busy.isBuilt)
        net.now = net.now + .seconds(200)
        var body: [UInt8] = [0x45]
        let counter = busy.origin.seal(&body)!
        net.deliver(CircuitMessage(kind: .forward, circuitID: busy.circuitID, counter: counter, body: body), from: net.sender, to: net.order[0])
        net.now = net.now + .seconds(100)
        for relay in net.relays.values { relay.expire(now: net.now) }
        #expect(net.order.map { net.relays[$0]!.circuitCount } == [1, 1])
    }
}
