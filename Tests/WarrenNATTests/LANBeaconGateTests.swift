import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenNAT

/// Which beacons a node believes (security issue #11, finding 6): multicast from its link,
/// signed by a member's key, fresh, and newer than the last from that member.
@Suite("LAN beacon gate")
struct LANBeaconGateTests {
    var rng = SeededRandom(seed: 66)
    /// 2023-11-14T22:13:20Z, inside every certificate here.
    let now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 1_700_000_000 * 1_000_000_000)
    let source = Endpoint("192.168.1.20:40000")!
    var atGroup: LANBeaconGate.Arrival { .init(source: source, destination: .v4(LANBeacon.group), hopLimit: 1) }

    /// The network's CA, or another network's; rebuilt from a fixed seed when needed (a CA
    /// key is not copyable), the same each time.
    static func ca(foreign: Bool = false) -> CertificateAuthority {
        var r = SeededRandom(seed: foreign ? 2 : 1)
        return try! CertificateAuthority.create(name: foreign ? "other" : "net", key: SigningKey(random: &r),
                                                ipv4Network: IPPrefix("10.8.0.0/16")!, notBefore: 0, notAfter: 4_000_000_000)
    }

    func gate() -> LANBeaconGate {
        LANBeaconGate(authority: Self.ca().certificate, ownKey: Key32(bytes: Array(repeating: 9, count: 32))!)
    }

    /// A member's key seed and certificate (10.8.x.y, one address per `host`).
    mutating func member(_ host: Int, foreign: Bool = false) throws -> (key: [UInt8], certificate: Certificate) {
        var seed = [UInt8](repeating: 0, count: 32)
        seed.withUnsafeMutableBytes { rng.fill($0) }
        let key = SigningKey(seed: SecretBytes(copying: seed))
        let certificate = try Self.ca(foreign: foreign).sign(name: "m\(host)", publicKey: key.publicKey,
                                                             ipv4: IPPrefix("10.8.\(host / 250).\(host % 250 + 1)/16")!,
                                                             roles: [], subnets: [], notBefore: 0, notAfter: 4_000_000_000)
        return (seed, certificate)
    }

    func beacon(_ certificate: Certificate, signedBy seed: [UInt8], offsetMilliseconds: Int64 = 0) -> [UInt8] {
        let time = UInt64(Int64(now.unixNanoseconds / 1_000_000) + offsetMilliseconds)
        return LANBeacon(port: 51820, unixMilliseconds: time, certificate: certificate.encoded,
                         signedBy: SigningKey(seed: SecretBytes(copying: seed))).encoded
    }

    @Test("a member's signed beacon to the group with TTL 1 is believed, at its source address and the port it names")
    mutating func genuine() throws {
        var gate = gate()
        let (key, certificate) = try member(1)
        let accepted = try gate.accept(beacon(certificate, signedBy: key), arrival: atGroup, now: now)
        #expect(accepted.certificate == certificate)
        #expect(accepted.endpoint == Endpoint("192.168.1.20:51820")!)
        let v6 = LANBeaconGate.Arrival(source: Endpoint("[fd77::b]:40000")!, destination: .v6(LANBeacon.groupIPv6), hopLimit: 1)
        let later = try gate.accept(beacon(certificate, signedBy: key, offsetMilliseconds: 1), arrival: v6, now: now)
        #expect(later.endpoint == Endpoint("[fd77::b]:51820")!)
    }

    @Test("a beacon sent to this node alone (unicast), even a genuine one, is refused")
    mutating func unicast() throws {
        var gate = gate()
        let (key, certificate) = try member(1)
        let unicast = LANBeaconGate.Arrival(source: source, destination: .v4(IPv4Address(192, 168, 1, 10)), hopLimit: 1)
        #expect(throws: LANBeaconRefusal.notToGroup(.v4(IPv4Address(192, 168, 1, 10)))) {
            try gate.accept(beacon(certificate, signedBy: key), arrival: unicast, now: now)
        }
        // The other family's group is no group of a beacon's either way round: only ours.
        let otherGroup = LANBeaconGate.Arrival(source: source, destination: .v4(IPv4Address(224, 0, 0, 251)), hopLimit: 1)
        #expect(throws: LANBeaconRefusal.self) { try gate.accept(beacon(certificate, signedBy: key), arrival: otherGroup, now: now) }
    }

    @Test("a beacon that a router forwarded (TTL or hop limit other than 1) is refused")
    mutating func routed() throws {
        var gate = gate()
        let (key, certificate) = try member(1)
        for hops in [0, 2, 64, 255] {
            let arrival = LANBeaconGate.Arrival(source: source, destination: .v4(LANBeacon.group), hopLimit: hops)
            #expect(throws: LANBeaconRefusal.routed(hopLimit: hops)) {
                try gate.accept(beacon(certificate, signedBy: key), arrival: arrival, now: now)
            }
        }
    }

    @Test("a copy of a member's certificate, signed by anyone else, is refused")
    mutating func copiedCertificate() throws {
        var gate = gate()
        let (_, victim) = try member(1)
        let (malloryKey, _) = try member(2)
        #expect(throws: LANBeaconRefusal.badSignature) { try gate.accept(beacon(victim, signedBy: malloryKey), arrival: atGroup, now: now) }
    }

    @Test("another CA's member is refused, with the certificate's reason")
    mutating func foreignMember() throws {
        var gate = gate()
        let (key, certificate) = try member(1, foreign: true)
        #expect {
            try gate.accept(beacon(certificate, signedBy: key), arrival: atGroup, now: now)
        } throws: { error in
            guard case .certificate(.wrongCA) = error as? LANBeaconRefusal else { return false }
            return true
        }
    }

    @Test("a replayed beacon, or one older than the last believed, is refused; a newer one is believed")
    mutating func replay() throws {
        var gate = gate()
        let (key, certificate) = try member(1)
        let first = beacon(certificate, signedBy: key)
        _ = try gate.accept(first, arrival: atGroup, now: now)
        #expect(throws: LANBeaconRefusal.replayed) { try gate.accept(first, arrival: atGroup, now: now) }
        #expect(throws: LANBeaconRefusal.replayed) {
            try gate.accept(beacon(certificate, signedBy: key, offsetMilliseconds: -1), arrival: atGroup, now: now)
        }
        _ = try gate.accept(beacon(certificate, signedBy: key, offsetMilliseconds: 1), arrival: atGroup, now: now)
    }

    @Test("a beacon signed more than 30 s from this node's clock, either way, is refused")
    mutating func freshness() throws {
        let (key, certificate) = try member(1)
        for offset: Int64 in [-30_001, 30_001, -600_000] {
            var gate = gate()
            #expect(throws: LANBeaconRefusal.stale(skewMilliseconds: offset)) {
                try gate.accept(beacon(certificate, signedBy: key, offsetMilliseconds: offset), arrival: atGroup, now: now)
            }
        }
        for offset: Int64 in [-30_000, 30_000] {
            var gate = gate()
            _ = try gate.accept(beacon(certificate, signedBy: key, offsetMilliseconds: offset), arrival: atGroup, now: now)
        }
    }

    @Test("this node's own beacon tells it nothing")
    mutating func own() throws {
        let (key, certificate) = try member(1)
        var gate = LANBeaconGate(authority: Self.ca().certificate, ownKey: certificate.publicKey)
        #expect(throws: LANBeaconRefusal.own) { try gate.accept(beacon(certificate, signedBy: key), arrival: atGroup, now: now) }
    }

    @Test("garbage and the unsigned layout of old are refused as malformed")
    mutating func malformed() throws {
        var gate = gate()
        let (_, certificate) = try member(1)
        var unsigned: [UInt8] = [6, 0, 0, 0, 0xca, 0x6c, UInt8(certificate.encoded.count >> 8), UInt8(certificate.encoded.count & 0xff)]
        unsigned += certificate.encoded
        for bytes in [[], [6], unsigned] {
            #expect(throws: LANBeaconRefusal.malformed) { try gate.accept(bytes, arrival: atGroup, now: now) }
        }
    }

    @Test("the table of senders is bounded: full of fresh senders it refuses a newcomer, and forgets those gone quiet")
    mutating func bounded() throws {
        var gate = gate()
        for host in 0..<LANBeaconGate.maxKeys {
            let (key, certificate) = try member(host)
            _ = try gate.accept(beacon(certificate, signedBy: key), arrival: atGroup, now: now)
        }
        let (key, certificate) = try member(LANBeaconGate.maxKeys)
        #expect(throws: LANBeaconRefusal.tooManySenders) {
            try gate.accept(beacon(certificate, signedBy: key), arrival: atGroup, now: now)
        }
        // 31 s on, every entry is older than any beacon still fresh: they are forgotten.
        var later = now
        later.unixNanoseconds += 31_000_000_000
        _ = try gate.accept(beacon(certificate, signedBy: key, offsetMilliseconds: 31_000), arrival: atGroup, now: later)
    }
}
