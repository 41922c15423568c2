import Testing
import WarrenWire
@testable import WarrenNAT

@Suite("STUN Binding server")
struct STUNResponderTests {
    let client = Endpoint("198.51.100.7:40000")!
    let start = Instant(nanoseconds: 1_000_000_000)

    func request(_ attributes: [STUNAttribute] = [], method: UInt16 = STUNMessage.bindingMethod) -> STUNMessage {
        STUNMessage(method: method, class: .request, transactionID: TransactionID(Array(1...12)), attributes: attributes)
    }

    func response(_ outcome: STUNResponder.Outcome) throws -> STUNMessage {
        guard case .respond(let bytes) = outcome else { throw STUNError.notSTUN }
        return try STUNMessage(parsing: bytes)
    }

    @Test("a Binding request gets the source address back, with the transaction ID and a FINGERPRINT")
    func answers() throws {
        var server = STUNResponder()
        for source in [client, Endpoint("[2001:db8::5]:3478")!] {
            let bytes = try #require({ if case .respond(let b) = server.handle(request(), from: source, now: start) { b } else { nil } }())
            let m = try STUNMessage(parsing: bytes)
            #expect(m.messageClass == .success && m.transactionID == request().transactionID)
            #expect(m.mappedAddress == source)
            #expect(m.attributes.last?.type == STUNAttribute.Kind.fingerprint.rawValue)
            #expect(bytes.count <= 56)
        }
    }

    @Test("an RFC 3489 request (no cookie, as Debian's stun-client sends) gets MAPPED-ADDRESS and its ID echoed")
    func classicClient() throws {
        // Captured from stun-client 0.97: Binding request, 128-bit ID, CHANGE-REQUEST of 0.
        let captured = RFC5769.hex("0001 0008 015ece16 d6452205 87db8255 f6ef2166 00030004 00000000")
        #expect(captured.withUnsafeBytes { MessageType.isSTUN($0) && MessageType.classify($0) == nil })
        let request = try STUNMessage(parsing: captured)
        #expect(request.isClassic && request.cookie == 0x015e_ce16)
        var server = STUNResponder()
        guard case .respond(let bytes) = server.handle(request, from: client, now: start) else { throw STUNError.notSTUN }
        #expect(Array(bytes[4..<20]) == Array(captured[4..<20]))
        // A Binding success response holding only MAPPED-ADDRESS (no FINGERPRINT).
        #expect(bytes.count == 32 && Array(bytes[0..<4]) == [0x01, 0x01, 0x00, 0x0c])
        #expect(Array(bytes[20..<24]) == [0x00, 0x01, 0x00, 0x08])
        #expect(STUNAttribute.endpoint(from: Array(bytes[24...]), xor: nil) == client)
        // The same without a matching length is not taken for STUN.
        #expect(Array(captured.dropLast(4)).withUnsafeBytes { !MessageType.isSTUN($0) })
    }

    @Test("an unknown comprehension-required attribute gets 420 naming it; optional ones are ignored")
    func unknownAttributes() throws {
        var server = STUNResponder()
        let m = try response(server.handle(request([STUNAttribute(type: 0x0024, value: [0, 0, 0, 1]),
                                                    STUNAttribute(type: 0x8029, value: [1, 2, 3, 4, 5, 6, 7, 8])]),
                                           from: client, now: start))
        #expect(m.messageClass == .error && m.errorCode?.code == 420)
        #expect(m.attribute(.unknownAttributes)?.value == [0x00, 0x24])
        let ok = try response(server.handle(request([STUNAttribute(.software, value: Array("x".utf8))]), from: client, now: start))
        #expect(ok.messageClass == .success)
        // Found by fuzzing: thirty unknown attributes must not make the answer grow with them.
        let many = request((0..<30).map { STUNAttribute(type: 0x0040 + UInt16($0), value: []) })
        guard case .respond(let bytes) = server.handle(many, from: client, now: start) else { throw STUNError.notSTUN }
        #expect(bytes.count <= 68)
        #expect(try STUNMessage(parsing: bytes).attribute(.unknownAttributes)?.value == [0, 0x40, 0, 0x41, 0, 0x42, 0, 0x43])
    }

    @Test("CHANGE-REQUEST asking for nothing is answered; asking for another address or port is refused with 420")
    func changeRequest() throws {
        var server = STUNResponder()
        let none = try response(server.handle(request([STUNAttribute(.changeRequest, value: [0, 0, 0, 0])]), from: client, now: start))
        #expect(none.mappedAddress == client)
        let change = try response(server.handle(request([STUNAttribute(.changeRequest, value: [0, 0, 0, 6])]), from: client, now: start))
        #expect(change.errorCode?.code == 420)
    }

    @Test("other methods get 400; indications and responses get nothing")
    func otherMessages() throws {
        var server = STUNResponder()
        #expect(try response(server.handle(request(method: 0x003), from: client, now: start)).errorCode?.code == 400)
        let indication = STUNMessage(class: .indication, transactionID: TransactionID(Array(1...12)))
        #expect(server.handle(indication, from: client, now: start) == .notARequest)
        let success = STUNMessage(class: .success, transactionID: TransactionID(Array(1...12)))
        #expect(server.handle(success, from: client, now: start) == .notARequest)
    }

    @Test("answers are limited per source address and in total, and the limits refill")
    func rateLimits() {
        var limits = STUNResponder.Limits()
        limits.perAddressBurst = 5
        limits.perAddressPerSecond = 1
        limits.totalBurst = 8
        limits.totalPerSecond = 2
        limits.trackedAddresses = 3
        var server = STUNResponder(limits: limits)
        func answered(_ source: Endpoint, _ count: Int, at now: Instant) -> Int {
            (0..<count).filter { _ in if case .respond = server.handle(request(), from: source, now: now) { true } else { false } }.count
        }
        #expect(answered(client, 10, at: start) == 5)
        let other = Endpoint("198.51.100.8:1")!
        #expect(answered(other, 10, at: start) == 3)
        #expect(answered(Endpoint("198.51.100.9:1")!, 1, at: start) == 0)
        // Every source tracked is busy: a fourth cannot get a bucket until one is quiet again.
        #expect(answered(Endpoint("198.51.100.10:1")!, 1, at: start) == 0)
        #expect(answered(client, 2, at: start + .seconds(2)) == 2)
    }
}
