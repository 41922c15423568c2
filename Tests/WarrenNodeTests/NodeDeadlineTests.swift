import Testing
import WarrenCrypto
import WarrenDHT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// The control loop sleeps until `Node.nextDeadline`: it must be the earliest thing any part
/// of the node waits for, or that part waits for the next tick.
@Suite("Node deadlines")
struct NodeDeadlineTests {
    let now = Instant(nanoseconds: 7_000_000_000)

    func node(dhtSettings: DHTNode.Settings = DHTNode.Settings(), resolverPatience: Duration = .seconds(3)) throws -> Node {
        var rng = SeededRandom(seed: 12)
        let ca = try CertificateAuthority.create(name: "net", key: SigningKey(random: &rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                 notBefore: 0, notAfter: 100_000)
        let key = SigningKey(random: &rng)
        let certificate = try ca.sign(name: "a", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.1/16")!, roles: [], subnets: [],
                                      notBefore: 0, notAfter: 100_000)
        let own = Contact(publicKey: key.publicKey, endpoint: Endpoint("192.0.2.1:51820")!)
        let dht = DHTNode(own: own, authority: ca.certificate, settings: dhtSettings, random: &rng)
        let manager = SessionManager(identity: key, certificate: certificate, authority: ca.certificate, peers: [], blocklist: [],
                                     random: SeededRandom(seed: 13))
        return Node(manager: manager, dht: dht, resolver: AddressResolver(patience: resolverPatience))
    }

    @Test("at rest, the session manager's tick")
    func atRest() throws {
        let node = try node()
        #expect(node.nextDeadline(after: now) == now + SessionManager.tick)
    }

    @Test("a DHT query whose timeout comes before the tick wakes the node then")
    func dhtTimeout() throws {
        // Stalls (from 100 ms, once response times are known) come before the tick the same way.
        var settings = DHTNode.Settings()
        settings.queryTimeout = .milliseconds(200)
        let node = try node(dhtSettings: settings)
        var rng = SeededRandom(seed: 14)
        var actions: [DHTAction] = []
        node.dht.learned(Contact(publicKey: SigningKey(random: &rng).publicKey, endpoint: Endpoint("192.0.2.2:51820")!),
                         now: now, into: &actions)
        _ = node.dht.findNode(node.dht.own.id, now: now, into: &actions)
        #expect(node.dht.nextDeadline() == now + .milliseconds(200))
        #expect(node.nextDeadline(after: now) == now + .milliseconds(200))
    }

    @Test("a packet waiting for its owner's lookup wakes the node when patience runs out")
    func resolverPatience() throws {
        let node = try node(resolverPatience: .milliseconds(300))
        #expect(node.resolver.miss(IPv4Address(0x0a08_0009), packet: [1], now: now) != .dropped)
        #expect(node.nextDeadline(after: now) == now + .milliseconds(300))
        // Later waits do not move the earliest.
        _ = node.resolver.miss(IPv4Address(0x0a08_000a), packet: [2], now: now + .milliseconds(100))
        #expect(node.nextDeadline(after: now + .milliseconds(100)) == now + .milliseconds(300))
    }
}
