import Foundation
import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenCircuit

/// A CA, a relay with a family and capacity class, and a member without the relay role.
struct DescriptorFixture: ~Copyable {
    static let now: UInt64 = 1_800_000_000
    let ca: CertificateAuthority
    let relayKey: SigningKey
    let relay: Certificate
    let memberKey: SigningKey
    let member: Certificate
    var rng = SeededRandom(seed: 31)

    init() {
        var rng = SeededRandom(seed: 30)
        ca = try! CertificateAuthority.create(name: "net", key: SigningKey(random: &rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                              notBefore: 0, notAfter: 4_000_000_000)
        relayKey = SigningKey(random: &rng)
        relay = try! ca.sign(name: "relay", publicKey: relayKey.publicKey, ipv4: IPPrefix("10.8.0.1/16")!, roles: [.relay], subnets: [],
                             family: "acme", capacity: 3, notBefore: 0, notAfter: 4_000_000_000)
        memberKey = SigningKey(random: &rng)
        member = try! ca.sign(name: "member", publicKey: memberKey.publicKey, ipv4: IPPrefix("10.8.0.2/16")!, roles: [], subnets: [],
                              notBefore: 0, notAfter: 4_000_000_000)
    }

    func descriptor(onionKeys: [RelayDescriptor.OnionKey], endpoints: [Endpoint] = [Endpoint("198.51.100.7:51820")!],
                    expiresAt: UInt64 = now + 3600) -> RelayDescriptor {
        RelayDescriptor(signing: relayKey, certificate: relay, onionKeys: onionKeys, endpoints: endpoints,
                        publishedAt: Self.now, expiresAt: expiresAt)
    }
}

@Suite("Relay descriptors and onion keys")
struct RelayDescriptorTests {
    static let now = DescriptorFixture.now
    static let onion = Key32(bytes: Array(repeating: 9, count: 32))!

    @Test("a descriptor round-trips and verifies to what path choice uses, the CA's family and capacity included")
    func verifies() throws {
        let f = DescriptorFixture()
        let older = RelayDescriptor.OnionKey(key: Key32(bytes: Array(repeating: 8, count: 32))!, validUntil: Self.now + 60)
        let descriptor = f.descriptor(onionKeys: [older, .init(key: Self.onion, validUntil: Self.now + 86_400)])
        let parsed = try RelayDescriptor(parsing: descriptor.encoded)
        #expect(parsed == descriptor)
        let info = try parsed.verify(authority: f.ca.certificate, now: Self.now)
        #expect(info.node == f.relayKey.publicKey && info.onionKey == Self.onion)
        #expect(info.underlay == IPAddress("198.51.100.7")! && info.family == "acme" && info.capacity == 3)
    }

    @Test("a member's, a tampered, an expired or a keyless descriptor, or one from another CA, is refused")
    func refusals() throws {
        let f = DescriptorFixture()
        let valid = [RelayDescriptor.OnionKey(key: Self.onion, validUntil: Self.now + 86_400)]
        let fromMember = RelayDescriptor(signing: f.memberKey, certificate: f.member, onionKeys: valid,
                                         endpoints: [Endpoint("198.51.100.8:51820")!], publishedAt: Self.now, expiresAt: Self.now + 3600)
        #expect(throws: RelayDescriptorError.notARelay) { try fromMember.verify(authority: f.ca.certificate, now: Self.now) }

        var tampered = f.descriptor(onionKeys: valid)
        tampered.onionKeys = [.init(key: Key32(bytes: Array(repeating: 7, count: 32))!, validUntil: Self.now + 86_400)]
        #expect(throws: RelayDescriptorError.badSignature) { try tampered.verify(authority: f.ca.certificate, now: Self.now) }

        #expect(throws: RelayDescriptorError.expired) {
            try f.descriptor(onionKeys: valid, expiresAt: Self.now).verify(authority: f.ca.certificate, now: Self.now)
        }
        #expect(throws: RelayDescriptorError.noValidOnionKey) {
            try f.descriptor(onionKeys: [.init(key: Self.onion, validUntil: Self.now)]).verify(authority: f.ca.certificate, now: Self.now)
        }
        var rng = SeededRandom(seed: 40)
        let other = try CertificateAuthority.create(name: "other", key: SigningKey(random: &rng), ipv4Network: IPPrefix("10.8.0.0/16")!,
                                                    notBefore: 0, notAfter: 4_000_000_000)
        #expect {
            try f.descriptor(onionKeys: valid).verify(authority: other.certificate, now: Self.now)
        } throws: { error in
            if case .certificate(.wrongCA)? = error as? RelayDescriptorError { true } else { false }
        }
    }

    @Test("counts of onion keys and endpoints outside 1–2 and 1–4 are refused when decoding")
    func decodingLimits() throws {
        let f = DescriptorFixture()
        let three = (0..<3).map { RelayDescriptor.OnionKey(key: Key32(bytes: Array(repeating: UInt8($0), count: 32))!, validUntil: Self.now + 9) }
        var tooMany = f.descriptor(onionKeys: [three[0]])
        tooMany.onionKeys = three
        #expect(throws: WireError.invalidField("descriptor onion key count 3")) { try RelayDescriptor(parsing: tooMany.encoded) }
        var none = f.descriptor(onionKeys: [three[0]])
        none.endpoints = []
        #expect(throws: WireError.invalidField("descriptor endpoint count 0")) { try RelayDescriptor(parsing: none.encoded) }
        #expect(throws: WireError.self) { try RelayDescriptor(parsing: Array(f.descriptor(onionKeys: [three[0]]).encoded.dropLast())) }
    }

    @Test("onion keys rotate every 7 days; a create to the previous key is answered for a day more, then refused")
    func rotation() throws {
        var rng = SeededRandom(seed: 41)
        let node = SigningKey(random: &rng).publicKey
        let relay = CircuitRelay(own: node, onionKeys: OnionKeyRing(now: Self.now, random: &rng), random: SeededRandom(seed: 42))
        let first = relay.onionKeys.published
        #expect(first.count == 1 && first[0].validUntil == Self.now + 8 * 86_400)
        #expect(!relay.rotateOnionKeys(now: Self.now + 7 * 86_400 - 1))
        #expect(relay.rotateOnionKeys(now: Self.now + 7 * 86_400))
        let second = relay.onionKeys.published
        #expect(second.count == 2 && second[1].key == first[0].key && second[1].validUntil == Self.now + 8 * 86_400)

        let sender = SigningKey(random: &rng).publicKey
        func answered(_ onionKey: Key32, id: UInt32) -> Bool {
            let build = CircuitBuild(path: [CircuitHopSpec(node: node, onionKey: onionKey)], circuitID: id, random: &rng,
                                     now: Instant(nanoseconds: 0))!
            var actions: [CircuitRelay.Action] = []
            relay.handle(build.create, from: sender, now: Instant(nanoseconds: 0), into: &actions)
            return !actions.isEmpty
        }
        #expect(answered(second[0].key, id: 1) && answered(first[0].key, id: 2))
        #expect(relay.rotateOnionKeys(now: Self.now + 8 * 86_400))
        #expect(relay.onionKeys.published.map(\.key) == [second[0].key])
        #expect(answered(second[0].key, id: 3) && !answered(first[0].key, id: 4))
    }
}

@Suite("Relay directory")
struct RelayDirectoryTests {
    static let now = DescriptorFixture.now
    static let onion = RelayDescriptor.OnionKey(key: Key32(bytes: Array(repeating: 5, count: 32))!, validUntil: now + 86_400)

    /// Three nodes that give their lists.
    static func sources(seed: UInt64) -> [Key32] {
        var rng = SeededRandom(seed: seed)
        return (0..<3).map { _ in SigningKey(random: &rng).publicKey }
    }

    @Test("the union of three sources' lists, newest descriptor per relay, forgeries refused")
    func union() throws {
        let f = DescriptorFixture()
        let sources = Self.sources(seed: 50)
        let onion = Self.onion
        let old = f.descriptor(onionKeys: [onion])
        let newer = RelayDescriptor(signing: f.relayKey, certificate: f.relay, onionKeys: [onion],
                                    endpoints: [Endpoint("198.51.100.9:51820")!], publishedAt: Self.now + 60, expiresAt: Self.now + 3600)
        var directory = RelayDirectory()
        #expect(directory.add(old, from: sources[0], authority: f.ca.certificate, now: Self.now) == .added)
        #expect(!directory.isComplete)
        #expect(directory.add(old, from: sources[1], authority: f.ca.certificate, now: Self.now) == .unchanged)
        var forged = newer
        forged.endpoints = [Endpoint("203.0.113.66:51820")!]
        #expect(directory.add(forged, from: sources[2], authority: f.ca.certificate, now: Self.now + 60) == .refused(.badSignature))
        #expect(!directory.isComplete, "a source that gave only forgeries does not count")
        #expect(directory.add(newer, from: sources[2], authority: f.ca.certificate, now: Self.now + 60) == .updated)
        #expect(directory.isComplete)
        #expect(directory.relays(now: Self.now + 60).map(\.underlay) == [IPAddress("198.51.100.9")!])
        #expect(directory.add(old, from: sources[0], authority: f.ca.certificate, now: Self.now + 61) == .unchanged)

        #expect(directory.relays(now: Self.now + 3600).isEmpty)
        directory.expire(now: Self.now + 3600)
        #expect(directory.descriptors(now: Self.now).isEmpty)
    }

    @Test("a saved directory survives JSON and is restored complete until its descriptors expire; a tampered one is refused")
    func savedAcrossRestarts() throws {
        let f = DescriptorFixture()
        let sources = Self.sources(seed: 51)
        let onion = Self.onion
        var directory = RelayDirectory()
        var versions: [Int] = []
        for source in sources {
            _ = directory.add(f.descriptor(onionKeys: [onion]), from: source, authority: f.ca.certificate, now: Self.now)
            versions.append(directory.version)
        }
        #expect(directory.isComplete)
        #expect(Set(versions).count == 3, "each new source is something to save, though its list held nothing new")

        let json = try JSONEncoder().encode(directory.saved)
        let saved = try JSONDecoder().decode(SavedDirectory.self, from: json)
        #expect(saved == directory.saved)
        var restarted = RelayDirectory()
        restarted.restore(saved, authority: f.ca.certificate, now: Self.now + 60)
        #expect(restarted.isComplete && restarted.relays(now: Self.now + 60) == directory.relays(now: Self.now + 60))

        var expired = RelayDirectory()
        expired.restore(saved, authority: f.ca.certificate, now: Self.now + 3600)
        #expect(!expired.isComplete && expired.relays(now: Self.now + 3600).isEmpty, "nothing left: not complete either")

        var tampered = saved
        tampered.descriptors[0].endpoints = [Endpoint("203.0.113.66:51820")!]
        var forged = RelayDirectory()
        forged.restore(tampered, authority: f.ca.certificate, now: Self.now + 60)
        #expect(!forged.isComplete && forged.relays(now: Self.now + 60).isEmpty)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SavedDirectory.self, from: Data(#"{"sources": ["bm90IGEga2V5"], "descriptors": []}"#.utf8))
        }
    }

    @Test("a relay's shard follows from its key; each shard has its own DHT key; a shard request gets that shard's relays")
    func shards() throws {
        let f = DescriptorFixture()
        let keys = (0..<DirectoryShard.count).map(DirectoryShard.key)
        #expect(Set(keys).count == DirectoryShard.count && keys == (0..<DirectoryShard.count).map(DirectoryShard.key))
        var rng = SeededRandom(seed: 52)
        let counts = (0..<800).reduce(into: [Int](repeating: 0, count: DirectoryShard.count)) { counts, _ in
            counts[DirectoryShard.of(SigningKey(random: &rng).publicKey)] += 1
        }
        #expect(counts.allSatisfy { (60...140).contains($0) }, "node keys spread evenly: \(counts)")

        var kept = RelayDirectory()
        _ = kept.add(f.descriptor(onionKeys: [Self.onion]), authority: f.ca.certificate, now: Self.now)
        #expect(!kept.isComplete, "a shard's keeper is no source")
        let shard = DirectoryShard.of(f.relayKey.publicKey)
        #expect(kept.descriptors(inShards: DirectoryShard.bit(shard), now: Self.now).count == 1)
        #expect(kept.descriptors(inShards: DirectoryShard.all & ~DirectoryShard.bit(shard), now: Self.now).isEmpty)
        #expect(kept.descriptors(inShards: DirectoryShard.all, now: Self.now + 3600).isEmpty, "expired")
    }
}
