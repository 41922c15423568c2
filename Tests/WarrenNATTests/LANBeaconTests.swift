import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenNAT

@Suite("LAN beacons")
struct LANBeaconTests {
    let publicKey: Key32
    let beacon: LANBeacon

    init() {
        var rng = SeededRandom(seed: 6)
        let key = SigningKey(random: &rng)
        publicKey = key.publicKey
        beacon = LANBeacon(port: 51820, unixMilliseconds: 1_700_000_000_123, certificate: Array(repeating: 7, count: 300), signedBy: key)
    }

    @Test("a beacon round-trips, is a Warren datagram of type 6 (never STUN), and lays out as drawn")
    func roundTrip() throws {
        let bytes = beacon.encoded
        #expect(Array(bytes.prefix(4)) == [6, 0, 0, 0])
        #expect(Array(bytes[4..<6]) == [0xca, 0x6c])
        #expect(Array(bytes[6..<14]) == [0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b])
        #expect(Array(bytes[14..<16]) == [0x01, 0x2c])
        #expect(bytes.count == 16 + 300 + 64)
        #expect(bytes.withUnsafeBytes { MessageType.classify($0) } == .lanBeacon)
        #expect(try LANBeacon(parsing: bytes) == beacon)
    }

    @Test("the signature is the certificate key's over everything before it")
    func signature() throws {
        #expect(beacon.isSigned(by: publicKey))
        var rng = SeededRandom(seed: 7)
        #expect(!beacon.isSigned(by: SigningKey(random: &rng).publicKey))
        // Any byte changed, signature included, and it no longer verifies.
        let bytes = beacon.encoded
        for i in 4..<bytes.count {
            var tampered = bytes
            tampered[i] ^= 0x01
            guard let parsed = try? LANBeacon(parsing: tampered) else { continue }
            #expect(!parsed.isSigned(by: publicKey), "byte \(i)")
        }
    }

    @Test("the groups never leave the site (IPv4, RFC 2365) or the link (IPv6, RFC 4291)")
    func groups() {
        #expect(LANBeacon.group.bytes.prefix(2) == [239, 255])
        #expect(LANBeacon.groupIPv6.bytes.prefix(2) == [0xff, 0x02])
    }

    @Test("truncations, trailing bytes, port 0, the unsigned layout and oversized certificates are refused")
    func refusals() {
        let bytes = beacon.encoded
        for n in 0..<bytes.count { #expect(throws: WireError.self) { try LANBeacon(parsing: Array(bytes.prefix(n))) } }
        #expect(throws: WireError.self) { try LANBeacon(parsing: bytes + [0]) }
        var portZero = beacon
        portZero.port = 0
        #expect(throws: WireError.self) { try LANBeacon(parsing: portZero.encoded) }
        var header = bytes
        header[2] = 1
        #expect(throws: WireError.self) { try LANBeacon(parsing: header) }
        // type 6 ‖ 0 0 0 ‖ port ‖ certificate length ‖ certificate: what beacons were before
        // they were signed.
        #expect(throws: WireError.self) { try LANBeacon(parsing: [6, 0, 0, 0, 0xca, 0x6c, 0, 3, 1, 2, 3]) }
        let big = LANBeacon(port: 1, unixMilliseconds: 0, certificate: Array(repeating: 0, count: LANBeacon.maxCertificateBytes + 1),
                            signature: Array(repeating: 0, count: 64)).encoded
        #expect(throws: WireError.self) { try LANBeacon(parsing: big) }
        #expect(big.count > LANBeacon.maxByteCount)
    }
}
