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

    @Test("a guard that is lost takes its circuits, which are built again")
    func lostGuard() throws {
        let h = PoolHarness()
        h.maintain()
        let guardNode = try #require(h.pool.circuits.keys.first?.peer)
        var events: [CircuitPool.Event] = []
        h.pool.lost(guardNode, now: h.moment, into: &events)
        #expect(h.pool.circuits.isEmpty)
        #expect(!h.send([0x45], flow: 1))
        h.maintain()
        #expect(h.pool.circuits.count == 2)
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
