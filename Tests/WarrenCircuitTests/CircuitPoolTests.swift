import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

/// A sender's pool over `CircuitNetwork`'s relays, each in its own underlay /16.
final class PoolHarness {
    let net: CircuitNetwork
    let pool: CircuitPool
    let relays: [CircuitRelayInfo]
    var moment: Moment
    var events: [CircuitPool.Event] = []

    init(relays count: Int = 6, hops: Int = 3) {
        let net = CircuitNetwork(relays: count)
        self.net = net
        relays = net.order.enumerated().map { i, node in
            CircuitRelayInfo(node: node, onionKey: net.onionKeys[node]!, underlay: IPAddress("172.\(16 + i).0.1")!,
                             overlay: .v4(IPv4Address(10, 8, 0, UInt8(1 + i))))
        }
        pool = CircuitPool(hops: hops, guards: GuardSet(), random: SeededRandom(seed: 9))
        moment = Moment(instant: net.now, unixNanoseconds: 1_800_000_000 * 1_000_000_000)
    }

    func advance(_ d: Duration) {
        moment = Moment(instant: moment.instant + d, unixNanoseconds: moment.unixNanoseconds + UInt64(d.nanosecondsValue))
        net.now = moment.instant
    }

    /// Runs `maintain`, and delivers what the pool sends and what comes back until quiet.
    /// `answering`: whether relays get the pool's messages at all.
    func maintain(answering: Bool = true) {
        var new: [CircuitPool.Event] = []
        pool.maintain(relays: relays, excluding: [net.sender], now: moment, into: &new)
        pump(new, answering: answering)
    }

    func pump(_ new: [CircuitPool.Event], answering: Bool = true) {
        var queue = new
        while !queue.isEmpty {
            let event = queue.removeFirst()
            events.append(event)
            guard case .send(let message, let guardNode) = event, answering else { continue }
            net.deliver(message, from: net.sender, to: guardNode)
            while !net.toSender.isEmpty {
                var more: [CircuitPool.Event] = []
                _ = pool.handle(net.toSender.removeFirst(), from: guardNode, now: moment, into: &more)
                queue += more
            }
        }
    }

    func send(_ packet: [UInt8], flow: Int, to destination: IPv4Address = IPv4Address(10, 8, 0, 99)) -> Bool {
        guard let (message, guardNode) = pool.seal(packet, flow: flow, avoiding: destination, now: moment.instant) else { return false }
        net.deliver(message, from: net.sender, to: guardNode)
        return true
    }

    var built: Int { events.count { if case .built = $0 { true } else { false } } }
    var failed: Int { events.count { if case .buildFailed = $0 { true } else { false } } }
}

@Suite("A sender's circuits")
struct CircuitPoolTests {
    @Test("a circuit in use and a spare are built through the guard, and a packet reaches the last hop")
    func builds() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.built == 2 && h.pool.circuits.count == 2 && h.pool.buildingCount == 0)
        let guards = Set(h.pool.circuits.keys.map(\.peer))
        #expect(guards.count == 1, "one guard for both")
        for circuit in h.pool.circuits.values { #expect(CircuitPath.isValid(circuit.path, excluding: [h.net.sender])) }
        #expect(h.send([0x45, 1, 2, 3], flow: 1))
        #expect(h.net.left.count == 1 && h.net.left[0].packet == [0x45, 1, 2, 3])
        h.maintain()
        #expect(h.built == 2, "nothing more to build")
    }

    @Test("builds nobody answers time out, count against the guard, and the next ones back off")
    func timeouts() {
        let h = PoolHarness()
        h.maintain(answering: false)
        #expect(h.pool.buildingCount == 2)
        h.advance(CircuitBuild.timeout)
        h.maintain(answering: false)
        #expect(h.failed == 2 && h.pool.buildingCount == 0, "two failed at once: the second waits")
        h.advance(CircuitPool.firstBuildDelay)
        h.maintain(answering: false)
        #expect(h.pool.buildingCount == 2)
        let guardNode = h.pool.guards.sampled.first { $0.builds > 0 }
        #expect(guardNode?.builds == 2 && guardNode?.successes == 0)
        // Its guard never answered: it is passed over.
        #expect(h.pool.guards.current(listed: Set(h.relays.map(\.node)), now: h.moment.unixSeconds) != guardNode?.node)
    }

    @Test("a build that fails beyond its guard counts against the guard but does not pass it over")
    func failureBeyondGuard() throws {
        let h = PoolHarness()
        h.maintain()
        let guardNode = try #require(h.pool.circuits.values.first?.link.peer)
        for node in Array(h.net.relays.keys) where node != guardNode { h.net.relays[node] = nil }
        h.advance(CircuitPool.replaceAfter)
        h.maintain()
        h.advance(CircuitBuild.timeout)
        h.maintain()
        #expect(h.failed >= 1)
        #expect(h.pool.guards.sampled.first { $0.node == guardNode }.map { $0.builds > $0.successes } == true)
        #expect(h.pool.guards.current(listed: Set(h.relays.map(\.node)), now: h.moment.unixSeconds) == guardNode)
    }

    @Test("after ten minutes new flows get a new circuit while an old flow stays on its own")
    func replacement() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.send([0x45, 0], flow: 1))
        let first = h.net.left.last!.relay
        h.advance(CircuitPool.replaceAfter)
        #expect(h.send([0x45, 1], flow: 1))
        h.maintain()
        #expect(h.built == 4 && h.pool.circuits.count == 3, "two new, and the old one its flow still uses")
        #expect(h.send([0x45, 2], flow: 1))
        #expect(h.net.left.last!.relay == first && h.net.left.last!.packet == [0x45, 2])
        #expect(h.send([0x45, 3], flow: 2))
        let newest = h.pool.circuits.values.max { $0.builtAt < $1.builtAt }!
        #expect(h.net.left.last!.relay == newest.path.last!.node)
        h.advance(CircuitPool.flowIdleLifetime)
        h.maintain()
        #expect(h.pool.circuits.count == 2, "the old circuit goes once its flow is idle")
    }

    @Test("renewing builds two fresh circuits for new flows, keeps the one a flow is on and lets the idle spare go")
    func renew() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.send([0x45, 0], flow: 1))
        let used = try #require(h.pool.circuits.values.first { $0.bytesSent > 0 })
        h.advance(.milliseconds(1))
        h.pool.renew(now: h.moment.instant)
        #expect(h.pool.circuits.count == 1 && h.pool.circuits[used.link] != nil, "the spare nobody used is gone")
        h.maintain()
        #expect(h.built == 4 && h.pool.circuits.count == 3)
        #expect(!h.pool.isFresh(h.pool.circuits[used.link]!, now: h.moment.instant))
        #expect(h.send([0x45, 1], flow: 1) && h.net.left.last!.relay == used.path.last!.node, "the old flow stays")
        #expect(h.send([0x45, 2], flow: 2))
        let newest = try #require(h.pool.newest(now: h.moment.instant))
        #expect(newest.link != used.link && h.net.left.last!.relay == newest.path.last!.node, "a new flow takes a fresh circuit")
    }

    @Test("a guard that is lost takes its circuits; one with flows is rebuilt at once through another guard and the same last hop")
    func lostGuard() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.send([0x45], flow: 1))
        let used = try #require(h.pool.circuits.values.first { $0.lastSent != nil })
        let guardNode = used.link.peer
        h.net.relays[guardNode] = nil
        var events: [CircuitPool.Event] = []
        h.pool.lost(guardNode, relays: h.relays, excluding: [h.net.sender], now: h.moment, into: &events)
        h.pump(events)
        #expect(h.pool.circuits.count == 1)
        let replacement = try #require(h.pool.circuits.values.first)
        #expect(replacement.token == used.token && replacement.link.peer != guardNode && replacement.path.last == used.path.last)
        #expect(h.send([0x45, 1], flow: 1) && h.net.left.last?.relay == used.path.last!.node)
        h.maintain()
        // The next build is not through the lost guard (the directory still lists it, so it
        // may be another hop of that build, which then never finishes).
        #expect(h.pool.circuits.count + h.pool.buildingCount == 2)
        #expect(h.pool.guards.current(listed: Set(h.relays.map(\.node)), now: h.moment.unixSeconds) != guardNode)
    }

    @Test("a packet is not sent through a circuit one of whose hops is its destination")
    func avoidsDestination() throws {
        let h = PoolHarness(relays: 3)
        h.maintain()
        #expect(h.pool.circuits.count == 2)
        let hop = try #require(h.pool.circuits.values.first?.path[1].overlay)
        guard case .v4(let address) = hop else { return }
        #expect(!h.send([0x45], flow: 1, to: address), "three relays: every circuit has all of them")
        #expect(h.send([0x45], flow: 1))
    }

    @Test("too few relays for the rules: no path, reported once")
    func noPath() {
        let h = PoolHarness(relays: 2)
        h.maintain()
        h.maintain()
        #expect(h.events.filter { $0 == .noPath(relays: 2) }.count == 1)
        #expect(h.pool.circuits.isEmpty && h.pool.buildingCount == 0)
    }
}

@Suite("A sender's circuits that lose a hop")
struct CircuitLivenessTests {
    @Test("a built circuit first attaches its token at its last hop")
    func attaches() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.net.attached.count == 2)
        for circuit in h.pool.circuits.values {
            #expect(h.net.attached.contains { $0.relay == circuit.path.last!.node && $0.token == circuit.token })
        }
        #expect(Set(h.net.attached.map(\.token)).count == 2, "a token of its own each")
    }

    @Test("a circuit that sent and heard nothing back is probed, and the last hop's answer keeps it")
    func probed() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.send([0x45, 0], flow: 1))
        h.advance(CircuitPool.probeAfter)
        let before = h.net.wire.count
        h.maintain()
        #expect(h.net.wire.count > before, "a probe went out and came back")
        h.advance(CircuitPool.minimumProbeTimeout)
        h.maintain()
        #expect(!h.events.contains { if case .lost = $0 { true } else { false } } && h.pool.circuits.count == 2)
    }

    @Test("a circuit whose middle is gone is replaced through the same guard and last hop, and its flow stays with its token")
    func middleLost() throws {
        let h = PoolHarness()
        h.maintain()
        #expect(h.send([0x45, 0], flow: 1))
        let used = try #require(h.pool.circuits.values.first { $0.lastSent != nil })
        let middle = used.path[1].node
        h.net.relays[middle] = nil
        h.advance(CircuitPool.probeAfter)
        h.maintain()
        h.advance(CircuitPool.minimumProbeTimeout)
        h.maintain()
        #expect(h.events.contains { $0 == .lost(path: used.path.map(\.node)) })
        let replacement = try #require(h.pool.circuits.values.first { $0.token == used.token })
        #expect(replacement.link != used.link && replacement.path[0].node == used.path[0].node)
        #expect(replacement.path.last!.node == used.path.last!.node && !replacement.path.contains { $0.node == middle })
        #expect(h.net.attached.filter { $0.token == used.token }.count == 2, "attached again, through the new circuit")
        #expect(h.send([0x45, 1], flow: 1))
        #expect(h.net.left.last?.relay == used.path.last!.node && h.net.left.last?.packet == [0x45, 1])
    }

    @Test("a circuit with no flows that loses a hop is let go, not replaced")
    func idleLost() throws {
        let h = PoolHarness()
        h.maintain()
        let spare = try #require(h.pool.circuits.values.first)
        h.net.relays[spare.path[1].node] = nil
        h.advance(CircuitPool.idleProbeInterval)
        h.maintain()
        h.advance(CircuitPool.minimumProbeTimeout)
        h.maintain()
        #expect(h.pool.circuits.values.allSatisfy { $0.token != spare.token })
    }
}
