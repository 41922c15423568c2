import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenDHT

@Suite("DHT messages")
struct DHTMessageTests {
    func samples() -> [DHTMessage] {
        var f = RecordFixture()
        let (record, key, _) = f.record()
        let contacts = (1...UInt64(DHTMessage.maxContacts)).map(contact)
        return [
            DHTMessage(requestID: 1, body: .ping),
            DHTMessage(requestID: 2, body: .pong),
            DHTMessage(requestID: 3, body: .findNode(target: contact(9).id)),
            DHTMessage(requestID: 4, body: .nodes(contacts)),
            DHTMessage(requestID: 5, body: .nodes([Contact(publicKey: contact(1).publicKey, endpoint: Endpoint("[2001:db8::1]:9")!)])),
            DHTMessage(requestID: 6, body: .store(key: key, record: record)),
            DHTMessage(requestID: 7, body: .storeResult(.stale)),
            DHTMessage(requestID: 8, body: .findValue(key: key)),
            DHTMessage(requestID: 9, body: .value([record, record, record])),
        ]
    }

    @Test("every message round-trips and starts with a byte no IP packet starts with")
    func roundTrip() throws {
        for m in samples() {
            let bytes = m.encoded
            #expect(bytes[0] < 0x40)
            #expect(try DHTMessage(parsing: bytes) == m)
        }
    }

    @Test("every message fits one transport packet at the default MTU")
    func fitsMTU() {
        for m in samples() { #expect(m.encoded.count <= 1420, "\(m.body)") }
    }

    @Test("truncated, oversized and unknown messages are refused")
    func refusals() {
        for m in samples() {
            let bytes = m.encoded
            for n in [0, 1, 5, bytes.count - 1] where n < bytes.count {
                #expect(throws: WireError.self) { try DHTMessage(parsing: Array(bytes.prefix(n))) }
            }
            #expect(throws: WireError.self) { try DHTMessage(parsing: bytes + [0]) }
        }
        #expect(throws: WireError.unsupported("DHT message type 99")) { try DHTMessage(parsing: [1, 99, 0, 0, 0, 0]) }
        #expect(throws: WireError.self) { try DHTMessage(parsing: [1, 4, 0, 0, 0, 0, 21]) }
        #expect(throws: WireError.self) { try DHTMessage(parsing: [2, 1, 0, 0, 0, 0]) }
        var rng = SeededRandom(seed: 4)
        for _ in 0..<2000 {
            var junk = [UInt8](repeating: 0, count: Int(rng.next(below: 300)))
            junk.withUnsafeMutableBytes { rng.fill($0) }
            if junk.count > 2 { junk[0] = 1; junk[1] = UInt8(rng.next(below: 9)) }
            _ = try? DHTMessage(parsing: junk)
        }
    }
}
