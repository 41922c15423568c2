import Testing
import WarrenCrypto
import WarrenDHT
import WarrenNode
import WarrenSession
import WarrenWire

/// The control loop sleeps until `Node.nextDeadline`: it must be the earliest thing any part
/// of the node waits for, or that part waits for the next tick.
@Suite("Node deadlines")
struct NodeDeadlineTests {
    /// A bootstrap node nobody answers for: queries to it wait for their timeout.
    static func silentBootstrap(_ settings: inout NodeSettings) {
        var rng = SeededRandom(seed: 99)
        settings.bootstrap = [Contact(publicKey: SigningKey(random: &rng).publicKey, endpoint: Endpoint("192.0.2.99:51820")!)]
    }

    @Test("at rest, the session manager's tick")
    func atRest() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1)
        net.start(a)
        // The first timeout runs what is due at once (relay refresh, the first beacon).
        net.timeout(a)
        #expect(net.members[a].node.nextDeadline(after: net.now.instant) == net.now.instant + SessionManager.tick)
    }

    @Test("a DHT query whose timeout comes before the tick wakes the node then")
    func dhtTimeout() {
        // Stalls (from 100 ms, once response times are known) come before the tick the same way.
        let net = NodeNetwork()
        let a = net.add("a", host: 1) {
            Self.silentBootstrap(&$0)
            $0.dht.queryTimeout = .milliseconds(200)
        }
        net.start(a)
        net.timeout(a)
        #expect(net.members[a].node.dht.nextDeadline() == net.now.instant + .milliseconds(200))
        #expect(net.members[a].node.nextDeadline(after: net.now.instant) == net.now.instant + .milliseconds(200))
    }

    @Test("a handshake retry due between ticks wakes the node then, and goes out then")
    func handshakeRetry() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { Self.silentBootstrap(&$0) }
        let bootstrap = Endpoint("192.0.2.99:51820")!
        net.start(a)
        let started = net.now.instant
        net.timeout(a)
        let first = net.sends(at: a, to: bootstrap).count
        #expect(first == 1, "the first initiation at start")
        while net.sends(at: a, to: bootstrap).count == first, net.now.instant < started + .seconds(2) {
            let deadline = net.members[a].node.nextDeadline(after: net.now.instant)
            net.advance(deadline.since(net.now.instant))
            net.timeout(a)
        }
        // 250 ms, plus up to 42 ms of jitter: not the 500 ms tick.
        let waited = net.now.instant.since(started)
        #expect(waited >= Timing.firstContactRetry && waited <= Timing.firstContactRetry + .milliseconds(42), "retried after \(waited)")
    }

    @Test("a packet waiting for its owner's lookup wakes the node when patience runs out, and gets ICMP back")
    func resolverPatience() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) {
            Self.silentBootstrap(&$0)
            $0.dht.queryTimeout = .seconds(10)
            $0.resolverPatience = .milliseconds(300)
        }
        net.start(a)
        // Past the first fast retries of the handshake to the silent bootstrap node.
        net.run(for: .seconds(1))
        let started = net.now.instant
        net.send(ipv4Packet(from: net.members[a].ipv4, to: IPv4Address(0x0a08_0009)), from: a)
        // Woken at each earlier deadline (the session tick's sweeps), the node is next due
        // when patience runs out.
        var deadline = net.members[a].node.nextDeadline(after: net.now.instant)
        while deadline < started + .milliseconds(300) {
            net.advance(deadline.since(net.now.instant))
            net.timeout(a)
            #expect(net.delivered[a].isEmpty)
            deadline = net.members[a].node.nextDeadline(after: net.now.instant)
        }
        #expect(deadline == started + .milliseconds(300))
        net.advance(deadline.since(net.now.instant))
        net.timeout(a)
        let icmp = net.delivered[a]
        #expect(icmp.count == 1 && icmp.first?[9] == 1, "one ICMP packet written back: \(icmp)")
        #expect(net.members[a].node.drops[.noRoute] == 1)
    }
}
