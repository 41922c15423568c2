import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenDHT

/// DHT nodes exchanging messages in memory, instantly and without loss unless told.
final class MiniNetwork {
    var nodes: [DHTNode] = []
    var keys: [[UInt8]] = []
    var certificates: [Certificate] = []
    var finished: [Int: [LookupResult]] = [:]
    var now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 10_000 * 1_000_000_000)
    var offline: Set<Int> = []
    var rng = SeededRandom(seed: 5)
    let ca: CertificateAuthority

    init(count: Int, settings: DHTNode.Settings = DHTNode.Settings()) {
        var r = SeededRandom(seed: 50)
        ca = try! CertificateAuthority.create(name: "net", key: SigningKey(random: &r), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                              notBefore: 0, notAfter: 1_000_000)
        for i in 0..<count {
            let key = SigningKey(random: &rng)
            keys.append(key.seed().withUnsafeBytes { Array($0) })
            certificates.append(try! ca.sign(name: "n\(i)", publicKey: key.publicKey,
                                             ipv4: IPPrefix("10.8.\(i / 250).\(i % 250 + 1)/16")!, roles: [], subnets: [],
                                             notBefore: 0, notAfter: 900_000))
            let contact = Contact(publicKey: key.publicKey, endpoint: Endpoint(address: .v4(IPv4Address(UInt32(0xc000_0000) + UInt32(i))), port: 1))
            nodes.append(DHTNode(own: contact, authority: ca.certificate, settings: settings, random: &rng))
        }
    }

    func index(of contact: Contact) -> Int? { nodes.firstIndex { $0.own.id == contact.id } }

    /// Delivers actions until quiet.
    func run(_ actions: [DHTAction], from source: Int) {
        var queue = actions.map { (source, $0) }
        while !queue.isEmpty {
            let (from, action) = queue.removeFirst()
            switch action {
            case .lookupFinished(let result):
                finished[from, default: []].append(result)
            case .send(let message, let to):
                guard let target = index(of: to), !offline.contains(target) else { continue }
                // Through the wire format, as the daemon would.
                let decoded = try! DHTMessage(parsing: message.encoded)
                var out: [DHTAction] = []
                nodes[target].handle(decoded, from: nodes[from].own, now: now, into: &out)
                queue += out.map { (target, $0) }
            }
        }
    }

    /// Every node (but `loners`) knows node 0 and looks itself up, as a bootstrap does.
    func bootstrap(except loners: Set<Int> = []) {
        for i in 1..<nodes.count where !loners.contains(i) {
            var actions: [DHTAction] = []
            nodes[i].learned(nodes[0].own, now: now.instant, into: &actions)
            _ = nodes[i].findNode(nodes[i].own.id, now: now.instant, into: &actions)
            run(actions, from: i)
        }
    }

    func record(of i: Int, sequence: UInt64 = 1) -> PeerRecord {
        PeerRecord(signing: SigningKey(seed: SecretBytes(copying: keys[i])), certificate: certificates[i],
                   endpoints: [nodes[i].own.endpoint], sequence: sequence, expiresAt: now.unixSeconds + 3600)
    }

    func addressKey(of i: Int) -> NodeID {
        guard case .v4(let a) = certificates[i].body.ipv4.address else { fatalError() }
        return RecordKey.address(a)
    }

    func tick() {
        for i in nodes.indices where !offline.contains(i) {
            var actions: [DHTAction] = []
            nodes[i].handleTimers(now: now, random: &rng, into: &actions)
            run(actions, from: i)
        }
    }
}

@Suite("DHT node")
struct DHTNodeTests {
    @Test("after bootstrapping through one node, every node finds every published record")
    func publishAndFind() {
        let net = MiniNetwork(count: 60)
        net.bootstrap()
        for i in net.nodes.indices {
            var actions: [DHTAction] = []
            net.nodes[i].publish(net.record(of: i), under: net.addressKey(of: i), now: net.now, into: &actions)
            net.run(actions, from: i)
        }
        var found = 0
        for i in net.nodes.indices {
            let target = (i * 7 + 3) % net.nodes.count
            var actions: [DHTAction] = []
            let id = net.nodes[i].findValue(net.addressKey(of: target), for: .address, now: net.now.instant, into: &actions)
            net.run(actions, from: i)
            if let result = net.finished[i]?.first(where: { $0.id == id }), result.records.contains(net.record(of: target)) {
                found += 1
            }
        }
        #expect(found == net.nodes.count)
    }

    @Test("a record is stored at the nodes closest to its key")
    func placement() {
        let net = MiniNetwork(count: 40, settings: { var s = DHTNode.Settings(); s.k = 5; return s }())
        net.bootstrap()
        var actions: [DHTAction] = []
        let key = net.addressKey(of: 7)
        net.nodes[7].publish(net.record(of: 7), under: key, now: net.now, into: &actions)
        net.run(actions, from: 7)
        let holders = net.nodes.indices.filter { !net.nodes[$0].store.lookup(key, now: net.now.unixSeconds).isEmpty }
        let closest = net.nodes.indices.sorted { net.nodes[$0].own.id.distance(to: key) < net.nodes[$1].own.id.distance(to: key) }.prefix(5)
        #expect(Set(closest).isSubset(of: Set(holders)))
    }

    @Test("a lookup also asks the nodes it is told to, wherever they are from the key, and their answer ends it",
          arguments: [false, true])
    func alsoAsking(asksHolder: Bool) {
        let net = MiniNetwork(count: 30)
        net.bootstrap(except: [29])
        // Node 29 joined nobody: only whoever is told of it asks it. Node 20's record is there alone.
        var actions: [DHTAction] = []
        net.nodes[20].store(net.record(of: 20), under: net.addressKey(of: 20), at: [net.nodes[29].own], now: net.now.instant, into: &actions)
        net.run(actions, from: 20)
        // Behind its NAT, node 20 answers nobody else: nobody learns of 29 from it.
        net.offline = [20]
        actions = []
        let id = net.nodes[10].findValue(net.addressKey(of: 20), for: .address, alsoAsking: asksHolder ? [net.nodes[29].own] : [],
                                         now: net.now.instant, into: &actions)
        net.run(actions, from: 10)
        for _ in 0..<3 {
            net.now.instant = net.now.instant + .seconds(2)
            net.tick()
        }
        let result = net.finished[10]?.first { $0.id == id }
        #expect(result?.records == (asksHolder ? [net.record(of: 20)] : []))
    }

    @Test("queries to a node that went away time out and the lookup still completes")
    func churn() {
        let net = MiniNetwork(count: 30)
        net.bootstrap()
        for i in 0..<net.nodes.count { var a: [DHTAction] = []; net.nodes[i].publish(net.record(of: i), under: net.addressKey(of: i), now: net.now, into: &a); net.run(a, from: i) }
        net.offline = Set([1, 2, 3, 4, 5])
        var actions: [DHTAction] = []
        let id = net.nodes[10].findValue(net.addressKey(of: 20), for: .address, now: net.now.instant, into: &actions)
        net.run(actions, from: 10)
        for _ in 0..<5 {
            net.now.instant = net.now.instant + .seconds(2)
            net.tick()
        }
        let result = net.finished[10]?.first { $0.id == id }
        #expect(result?.records.isEmpty == false)
    }

    @Test("a node asked too often answers no more than its rate allows")
    func rateLimit() {
        var settings = DHTNode.Settings()
        settings.requestBurst = 5
        settings.requestsPerSecond = 1
        let net = MiniNetwork(count: 2, settings: settings)
        var replies = 0
        for n in 0..<20 {
            var out: [DHTAction] = []
            net.nodes[1].handle(DHTMessage(requestID: UInt32(n), body: .ping), from: net.nodes[0].own, now: net.now, into: &out)
            replies += out.filter { if case .send(let m, _) = $0 { m.body == .pong } else { false } }.count
        }
        #expect(replies == 5)
        #expect(net.nodes[1].statistics.requestsRateLimited == 15)
    }

    @Test("a forged value in a response is not believed")
    func forgedValue() {
        let net = MiniNetwork(count: 3)
        net.bootstrap()
        var actions: [DHTAction] = []
        let key = net.addressKey(of: 2)
        let id = net.nodes[0].findValue(key, for: .address, now: net.now.instant, into: &actions)
        // Node 1 answers every query of that lookup with node 1's own record (wrong key).
        for case .send(let m, let to) in actions where net.index(of: to) == 1 {
            var out: [DHTAction] = []
            net.nodes[0].handle(DHTMessage(requestID: m.requestID, body: .value([net.record(of: 1)])), from: net.nodes[1].own,
                                now: net.now, into: &out)
            net.run(out, from: 0)
        }
        net.run(actions.filter { if case .send(_, let to) = $0 { net.index(of: to) != 1 } else { true } }, from: 0)
        let result = net.finished[0]?.first { $0.id == id }
        #expect(result?.records.contains(net.record(of: 1)) != true)
    }

    @Test("answers from nodes we did not ask are ignored")
    func unsolicited() {
        let net = MiniNetwork(count: 3)
        var out: [DHTAction] = []
        net.nodes[0].handle(DHTMessage(requestID: 42, body: .nodes([net.nodes[2].own])), from: net.nodes[1].own, now: net.now, into: &out)
        #expect(out.allSatisfy { if case .send(let m, _) = $0 { m.body == .ping } else { false } })
        #expect(net.nodes[0].table.contact(net.nodes[2].own.id) == nil)
    }

    @Test("contacts an answer names at loopback, link-local, multicast or overlay addresses are never asked")
    func refusedContacts() throws {
        let net = MiniNetwork(count: 2)
        var actions: [DHTAction] = []
        net.nodes[0].learned(net.nodes[1].own, now: net.now.instant, into: &actions)
        _ = net.nodes[0].findNode(net.nodes[0].own.id, now: net.now.instant, into: &actions)
        let query = try #require(actions.compactMap { if case .send(let m, _) = $0 { m } else { nil } }.first)
        let bad = ["127.0.0.1:22", "[fe80::1]:51820", "239.255.77.77:51820", "10.8.0.9:51820"].enumerated().map { i, text in
            Contact(publicKey: Key32(bytes: Array(repeating: UInt8(i + 100), count: 32))!, endpoint: Endpoint(text)!)
        }
        var out: [DHTAction] = []
        net.nodes[0].handle(DHTMessage(requestID: query.requestID, body: .nodes(bad)), from: net.nodes[1].own, now: net.now, into: &out)
        let asked = out.compactMap { if case .send(_, let to) = $0 { to.endpoint } else { nil } }
        #expect(asked.allSatisfy { !bad.map(\.endpoint).contains($0) }, "asked \(asked)")
    }
}
