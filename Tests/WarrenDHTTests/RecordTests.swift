import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenDHT

/// A CA with nodes that can sign records; time is unix seconds around 10_000.
struct RecordFixture: ~Copyable {
    let ca: CertificateAuthority
    let foreign: CertificateAuthority
    var rng = SeededRandom(seed: 21)

    init() {
        var r = SeededRandom(seed: 20)
        ca = try! CertificateAuthority.create(name: "net", key: SigningKey(random: &r), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                              notBefore: 0, notAfter: 1_000_000)
        foreign = try! CertificateAuthority.create(name: "other", key: SigningKey(random: &r), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                   notBefore: 0, notAfter: 1_000_000)
    }

    /// A record for a fresh node at `ip`, its address key, and the node's ID.
    mutating func record(ip: String = "10.8.0.42", sequence: UInt64 = 1, expiresAt: UInt64 = 12_000, foreignCA: Bool = false,
                         notBefore: UInt64 = 0) -> (PeerRecord, NodeID, NodeID) {
        let key = SigningKey(random: &rng)
        let prefix = IPPrefix(ip + "/16")!
        let cert = foreignCA
            ? try! foreign.sign(name: "n", publicKey: key.publicKey, ipv4: prefix, roles: [], subnets: [], notBefore: notBefore, notAfter: 900_000)
            : try! ca.sign(name: "n", publicKey: key.publicKey, ipv4: prefix, roles: [], subnets: [], notBefore: notBefore, notAfter: 900_000)
        let record = PeerRecord(signing: key, certificate: cert, endpoints: [Endpoint("192.0.2.1:51820")!], sequence: sequence,
                                expiresAt: expiresAt)
        return (record, RecordKey.address(IPv4Address(ip)!), NodeID(publicKey: key.publicKey))
    }
}

@Suite("Peer records")
struct RecordTests {
    let requester = contact(1).id

    @Test("a record round-trips through its encoding")
    func roundTrip() throws {
        var f = RecordFixture()
        let (r, _, _) = f.record()
        #expect(try PeerRecord(parsing: r.encoded) == r)
        for n in [0, 1, 10, r.encoded.count - 1] {
            #expect(throws: WireError.self) { try PeerRecord(parsing: Array(r.encoded.prefix(n))) }
        }
        #expect(throws: WireError.self) { try PeerRecord(parsing: r.encoded + [0]) }
    }

    @Test("rendezvous nodes are signed with the record, at most three")
    func rendezvous() throws {
        var f = RecordFixture()
        let key = SigningKey(random: &f.rng)
        let cert = try f.ca.sign(name: "n", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.9/16")!, roles: [], subnets: [],
                                 notBefore: 0, notAfter: 900_000)
        let nodes = (1...4).map { contact(UInt64($0)) }
        let r = PeerRecord(signing: key, certificate: cert, endpoints: [Endpoint("192.0.2.1:51820")!], rendezvous: nodes,
                           sequence: 1, expiresAt: 12_000)
        #expect(r.rendezvous == Array(nodes.prefix(3)))
        let parsed = try PeerRecord(parsing: r.encoded)
        #expect(parsed == r && parsed.rendezvous.map(\.endpoint) == nodes.prefix(3).map(\.endpoint))
        let store = RecordStore(authority: f.ca.certificate)
        #expect(throws: Never.self) { try store.validate(parsed, under: RecordKey.address(IPv4Address("10.8.0.9")!), now: 100) }
        // A rendezvous node swapped after signing breaks the signature.
        var forged = parsed
        forged.rendezvous[0] = nodes[3]
        #expect(throws: RecordError.self) { try store.validate(forged, under: RecordKey.address(IPv4Address("10.8.0.9")!), now: 100) }
    }

    @Test("a valid record is stored under its address key and its node key, and found")
    func store() throws {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate)
        let (r, addressKey, node) = f.record()
        try store.store(r, under: addressKey, from: requester, now: 10_000)
        try store.store(r, under: RecordKey.node(node), from: requester, now: 10_000)
        #expect(store.lookup(addressKey, now: 10_000) == [r])
        #expect(store.count == 2)
    }

    @Test("every refusal reason is told apart")
    func refusals() throws {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate)
        let (good, key, _) = f.record()

        var forged = good
        forged.sequence += 1   // signature no longer covers it
        #expect(throws: RecordError.badSignature) { try store.store(forged, under: key, from: requester, now: 10_000) }

        let (foreign, foreignKey, _) = f.record(foreignCA: true)
        #expect {
            try store.store(foreign, under: foreignKey, from: requester, now: 10_000)
        } throws: { ($0 as? RecordError).map { if case .certificate(.wrongCA) = $0 { true } else { false } } ?? false }

        #expect(throws: RecordError.notOwned) { try store.store(good, under: RecordKey.address(IPv4Address(10, 8, 0, 43)), from: requester, now: 10_000) }
        #expect(throws: RecordError.expired) { try store.store(good, under: key, from: requester, now: 12_000) }
        let (longLived, longKey, _) = f.record(ip: "10.8.0.50", expiresAt: 10_000 + 2 * 86_400)
        #expect(throws: RecordError.lifetimeTooLong) { try store.store(longLived, under: longKey, from: requester, now: 10_000) }

        try store.store(good, under: key, from: requester, now: 10_000)
        #expect(throws: RecordError.staleSequence(stored: 1)) { try store.store(good, under: key, from: requester, now: 10_000) }
    }

    @Test("a newer sequence replaces the stored record")
    func replace() throws {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate)
        let key = SigningKey(random: &f.rng)
        let cert = try f.ca.sign(name: "n", publicKey: key.publicKey, ipv4: IPPrefix("10.8.0.9/16")!, roles: [], subnets: [],
                                 notBefore: 0, notAfter: 900_000)
        let k = RecordKey.address(IPv4Address(10, 8, 0, 9))
        let v1 = PeerRecord(signing: key, certificate: cert, endpoints: [Endpoint("192.0.2.1:1")!], sequence: 1, expiresAt: 12_000)
        let v2 = PeerRecord(signing: key, certificate: cert, endpoints: [Endpoint("192.0.2.2:1")!], sequence: 2, expiresAt: 12_000)
        try store.store(v1, under: k, from: requester, now: 10_000)
        try store.store(v2, under: k, from: requester, now: 10_000)
        #expect(store.lookup(k, now: 10_000) == [v2])
        #expect(store.count == 1)
    }

    @Test("storage is bounded per requesting peer and in total")
    func bounds() throws {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate, maxTotal: 5, maxPerPeer: 3)
        for i in 0..<3 {
            let (r, k, _) = f.record(ip: "10.8.1.\(i)")
            try store.store(r, under: k, from: requester, now: 10_000)
        }
        let (fourth, k4, _) = f.record(ip: "10.8.1.3")
        #expect(throws: RecordError.storageFull) { try store.store(fourth, under: k4, from: requester, now: 10_000) }
        let other = contact(2).id
        try store.store(fourth, under: k4, from: other, now: 10_000)
        let (fifth, k5, _) = f.record(ip: "10.8.1.4")
        try store.store(fifth, under: k5, from: other, now: 10_000)
        let (sixth, k6, _) = f.record(ip: "10.8.1.5")
        #expect(throws: RecordError.storageFull) { try store.store(sixth, under: k6, from: contact(3).id, now: 10_000) }
    }

    @Test("expired records disappear and free their space")
    func expiry() throws {
        var f = RecordFixture()
        var store = RecordStore(authority: f.ca.certificate, maxTotal: 1, maxPerPeer: 1)
        let (r, k, _) = f.record(expiresAt: 10_500)
        try store.store(r, under: k, from: requester, now: 10_000)
        #expect(store.lookup(k, now: 10_600).isEmpty)
        store.expire(now: 10_600)
        #expect(store.count == 0)
        let (r2, k2, _) = f.record(ip: "10.8.0.7", expiresAt: 11_000)
        try store.store(r2, under: k2, from: requester, now: 10_600)
    }
}
