import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenDHT

/// Findings of the fuzz targets in Fuzz/ (run with `scripts/fuzz`), each kept as a test with
/// the input that found it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // DHTNode, default settings (Fuzz/Corpus/DHTNode/value-reply-over-mtu):
    //   00 14 01 02 5a 23 03 08 04 04 03 00 04 04 00 03 04 04
    // carol stores her record (no endpoints, sequence 0x23, 15 minutes to live) under her
    // address key 10.8.0.3; alice stores the record of carol's new key (same address, both
    // certificates valid) under the same key; alice sends findValue for that key. carol's
    // certificates are as large as the format allows (63-byte name, 32 subnets: 814 bytes),
    // so each record is 898 bytes, and the node answered with both: a value message of
    // 7 + 2 × (2 + 898) = 1807 bytes, over the 1420 every DHT message must fit (DHTMessage:
    // "every message fits one transport packet"). The reply was bounded by record count
    // (maxRecords = 3) only; three such records would have been 2707 bytes.
    @Test("a value reply holds only as many records as fit one packet")
    func valueReplyOverMTU() throws {
        var rng = SeededRandom(seed: 0xf022)
        let ca = try CertificateAuthority.create(name: "net", key: SigningKey(random: &rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                 notBefore: 0, notAfter: 1_000_000)
        let name = "carol-gateway." + String(repeating: "x", count: 49)
        let subnets = (0..<32).map { IPPrefix("2001:db8:\(String($0, radix: 16))::/48")! }
        let now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 10_000 * 1_000_000_000)
        // carol, before and after re-keying: two certificates for 10.8.0.3, both valid, the
        // second one newer.
        var records: [PeerRecord] = []
        for (notBefore, sequence) in [(0, 0x23), (1, 4)] as [(UInt64, UInt64)] {
            let key = SigningKey(random: &rng)
            let certificate = try ca.sign(name: name, publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.3/16")!,
                                          roles: [.relay, .exit], subnets: subnets, notBefore: notBefore, notAfter: 900_000)
            #expect(certificate.encoded.count == 814)
            records.append(PeerRecord(signing: key, certificate: certificate, endpoints: [], sequence: sequence,
                                      expiresAt: now.unixSeconds + 900))
        }
        let addressKey = RecordKey.address(IPv4Address("10.8.0.3")!)
        let alice = contact(1), bob = contact(2)
        var node = DHTNode(own: contact(3), authority: ca.certificate, random: &rng)
        var actions: [DHTAction] = []
        node.handle(DHTMessage(requestID: 1, body: .store(key: addressKey, record: records[0])), from: bob, now: now, into: &actions)
        node.handle(DHTMessage(requestID: 4, body: .store(key: addressKey, record: records[1])), from: alice, now: now, into: &actions)
        #expect(node.store.lookup(addressKey, now: now.unixSeconds).count == 2)

        actions = []
        node.handle(DHTMessage(requestID: 4, body: .findValue(key: addressKey)), from: alice, now: now, into: &actions)
        let replies = actions.compactMap { if case .send(let m, let to) = $0, to == alice { m } else { nil } }
        try #require(replies.count == 1)
        #expect(replies[0].encoded.count <= DHTMessage.maxEncodedBytes, "a value reply of \(replies[0].encoded.count) bytes")
        #expect(replies[0].encoded.count <= 1420)
        // The newest certificate's record still goes out.
        guard case .value(let sent) = replies[0].body else {
            Issue.record("findValue for a stored key answered with \(replies[0].body)")
            return
        }
        #expect(sent == [records[1]])
    }

    // DHTNode, default settings (Fuzz/Corpus/DHTNode/store-count-after-refusal):
    //   00 14 01 02 00 01 01 00 1c 02 03 00 05 0c 00 07 05 01 1c 03 03 00 05 0c 00 07 00 00
    // carol stores her record (5 minutes to live) and carol's new key its record (sequence 5,
    // an hour) under their address key; 10 minutes later, before the timers run, the new
    // key's record comes again (stale). RecordStore.store forgot carol's expired record
    // (count − 1), then refused the stale one without writing the list back, so the expired
    // record stayed in `records`; `expire` forgot it again: `count` 0 with one record stored.
    // Every such refusal lowers `count` and the storing peer's count for good, loosening the
    // total and per-peer bounds.
    @Test("a refused store leaves the store's count equal to the records it holds")
    func storeCountAfterRefusedStore() throws {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate)
        let requester = contact(1).id
        // Two certificates for 10.8.0.42 (a re-keyed node), both valid.
        let (old, key, _) = f.record(sequence: 1, expiresAt: 10_300)
        let (new, _, _) = f.record(sequence: 5, expiresAt: 13_600)
        try store.store(old, under: key, from: requester, now: 10_000)
        try store.store(new, under: key, from: requester, now: 10_000)
        #expect(store.count == 2)

        #expect(throws: RecordError.staleSequence(stored: 5)) { try store.store(new, under: key, from: requester, now: 10_600) }
        store.expire(now: 10_600)
        #expect(store.lookup(key, now: 10_600) == [new])
        #expect(store.count == 1)
        #expect(store.countByPeer[requester] == 1)
    }

    // DHTNode, default settings (Fuzz/Corpus/DHTNode/value-answer-to-node-lookup):
    //   00 07 02 00 06 06 03 00 01 00 00 01 02 01 0c, then 07 00 96 (3 s pass, timers) ten times
    // the node starts a node lookup (findNode) for alice's address key; a contact it asked
    // answers with a value holding alice's genuine record for that key. handleResponse took
    // any value answer as found records, so the node lookup finished with `records` set,
    // though a node lookup's result has none (DHTAction.lookupFinished), and counted the
    // contact as answered with no closer contacts rather than as a wrong answer.
    @Test("a value answer to a node lookup's findNode is a wrong answer, not a found record")
    func valueAnswerToNodeLookup() {
        let net = MiniNetwork(count: 3)
        net.bootstrap()
        let key = net.addressKey(of: 2)
        var actions: [DHTAction] = []
        let id = net.nodes[0].findNode(key, now: net.now.instant, into: &actions)
        // Node 1 answers that lookup's queries with node 2's genuine record for the key.
        for case .send(let m, let to) in actions where net.index(of: to) == 1 {
            var out: [DHTAction] = []
            net.nodes[0].handle(DHTMessage(requestID: m.requestID, body: .value([net.record(of: 2)])), from: net.nodes[1].own,
                                now: net.now, into: &out)
            net.run(out, from: 0)
        }
        net.run(actions.filter { if case .send(_, let to) = $0 { net.index(of: to) != 1 } else { true } }, from: 0)
        let result = net.finished[0]?.first { $0.id == id }
        #expect(result != nil)
        #expect(result?.records == [])
        #expect(result?.closest.contains { $0.id == net.nodes[1].own.id } == false)
    }
}
