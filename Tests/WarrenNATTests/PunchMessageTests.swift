import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenNAT

@Suite("Punch messages")
struct PunchMessageTests {
    let key = Key32(bytes: Array(1...32))!

    @Test("requests and notices round-trip; the first byte marks them as control messages of their own kind")
    func roundTrip() throws {
        for kind in [PunchMessage.Kind.request, .notice] {
            let m = PunchMessage(kind: kind, peer: key, candidates: [Endpoint("192.0.2.1:40001")!, Endpoint("[2001:db8::1]:51820")!])
            #expect(m.encoded.first == 0x02 && m.encoded[0] < 0x40)
            #expect(try PunchMessage(parsing: m.encoded) == m)
        }
        let many = PunchMessage(kind: .request, peer: key, candidates: Array(repeating: Endpoint("192.0.2.1:1")!, count: 12))
        #expect(many.candidates.count == PunchMessage.maxCandidates)
    }

    @Test("truncations, trailing bytes, another kind, a bad type or too many candidates are refused")
    func refusals() {
        let m = PunchMessage(kind: .notice, peer: key, candidates: [Endpoint("192.0.2.1:40001")!]).encoded
        for n in 0..<m.count { #expect(throws: WireError.self) { try PunchMessage(parsing: Array(m.prefix(n))) } }
        #expect(throws: WireError.self) { try PunchMessage(parsing: m + [0]) }
        var other = m
        other[0] = 0x01
        #expect(throws: WireError.self) { try PunchMessage(parsing: other) }
        var type = m
        type[1] = 3
        #expect(throws: WireError.self) { try PunchMessage(parsing: type) }
        var count = m
        count[34] = 9
        #expect(throws: WireError.self) { try PunchMessage(parsing: count) }
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
