import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenNAT

@Suite("Punch messages")
struct PunchMessageTests {
    let key = Key32(bytes: Array(1...32))!

    @Test("requests and notices round-trip; the first byte marks them as control messages of their own kind")
    func roundTrip() throws {
        let messages = [
            PunchMessage(kind: .request, peer: key, record: Array(repeating: 9, count: 600)),
            PunchMessage(kind: .notice, peer: key, seen: Endpoint("192.0.2.1:40001")!, record: [1, 2, 3]),
            PunchMessage(kind: .notice, peer: key, seen: Endpoint("[2001:db8::1]:51820")!),
            PunchMessage(kind: .notice, peer: key),
        ]
        for m in messages {
            #expect(m.encoded.first == 0x02 && m.encoded[0] < 0x40)
            #expect(try PunchMessage(parsing: m.encoded) == m)
        }
    }

    @Test("truncations, trailing bytes, another kind, a bad type, a seen request or an oversized record are refused")
    func refusals() {
        let m = PunchMessage(kind: .notice, peer: key, seen: Endpoint("192.0.2.1:40001")!, record: [7]).encoded
        for n in 0..<m.count { #expect(throws: WireError.self) { try PunchMessage(parsing: Array(m.prefix(n))) } }
        #expect(throws: WireError.self) { try PunchMessage(parsing: m + [0]) }
        var other = m
        other[0] = 0x01
        #expect(throws: WireError.self) { try PunchMessage(parsing: other) }
        var type = m
        type[1] = 3
        #expect(throws: WireError.self) { try PunchMessage(parsing: type) }
        var count = m
        count[34] = 2
        #expect(throws: WireError.self) { try PunchMessage(parsing: count) }
        var request = m
        request[1] = PunchMessage.Kind.request.rawValue
        #expect(throws: WireError.self) { try PunchMessage(parsing: request) }
        let big = PunchMessage(kind: .request, peer: key, record: Array(repeating: 0, count: PunchMessage.maxRecordBytes + 1))
        #expect(throws: WireError.self) { try PunchMessage(parsing: big.encoded) }
    }
}

@Suite("Path probes")
struct PathProbeTests {
    @Test("requests and replies round-trip; anything else is refused")
    func codec() throws {
        for probe in [PathProbe(kind: .request, id: 1), PathProbe(kind: .reply, id: 0xDEAD_BEEF)] {
            #expect(probe.encoded.count == 6 && probe.encoded[0] == 0x04)
            #expect(try PathProbe(parsing: probe.encoded) == probe)
        }
        let bytes = PathProbe(kind: .reply, id: 9).encoded
        for n in 0..<bytes.count { #expect(throws: WireError.self) { try PathProbe(parsing: Array(bytes.prefix(n))) } }
        #expect(throws: WireError.self) { try PathProbe(parsing: bytes + [0]) }
        #expect(throws: WireError.self) { try PathProbe(parsing: [0x04, 3, 0, 0, 0, 1]) }
        #expect(throws: WireError.self) { try PathProbe(parsing: [0x02, 1, 0, 0, 0, 1]) }
    }
}
