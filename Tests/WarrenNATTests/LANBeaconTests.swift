import Testing
import WarrenWire
@testable import WarrenNAT

@Suite("LAN beacons")
struct LANBeaconTests {
    @Test("a beacon round-trips and is a Warren datagram of type 6, never STUN")
    func roundTrip() throws {
        let beacon = LANBeacon(port: 51820, certificate: Array(repeating: 7, count: 300))
        let bytes = beacon.encoded
        #expect(Array(bytes.prefix(4)) == [6, 0, 0, 0])
        #expect(bytes.withUnsafeBytes { MessageType.classify($0) } == .lanBeacon)
        #expect(try LANBeacon(parsing: bytes) == beacon)
    }

    @Test("the groups never leave the site (IPv4, RFC 2365) or the link (IPv6, RFC 4291)")
    func groups() {
        #expect(LANBeacon.group.bytes.prefix(2) == [239, 255])
        #expect(LANBeacon.groupIPv6.bytes.prefix(2) == [0xff, 0x02])
    }

    @Test("truncations, trailing bytes, port 0 and oversized certificates are refused")
    func refusals() {
        let bytes = LANBeacon(port: 4000, certificate: [1, 2, 3]).encoded
        for n in 0..<bytes.count { #expect(throws: WireError.self) { try LANBeacon(parsing: Array(bytes.prefix(n))) } }
        #expect(throws: WireError.self) { try LANBeacon(parsing: bytes + [0]) }
        #expect(throws: WireError.self) { try LANBeacon(parsing: LANBeacon(port: 0, certificate: [1]).encoded) }
        var header = bytes
        header[2] = 1
        #expect(throws: WireError.self) { try LANBeacon(parsing: header) }
        let big = LANBeacon(port: 1, certificate: Array(repeating: 0, count: LANBeacon.maxCertificateBytes + 1)).encoded
        #expect(throws: WireError.self) { try LANBeacon(parsing: big) }
    }
}
