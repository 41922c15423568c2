import Testing
import WarrenWire
@testable import WarrenNAT

/// The sample messages of RFC 5769 §2, as hex.
enum RFC5769 {
    static let transactionID = TransactionID(hex("b7e7a701bc34d686fa87dfae"))

    /// §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
    /// MESSAGE-INTEGRITY and FINGERPRINT (username padding is spaces, as the RFC has it).
    static let request = hex("""
        00010058 2112a442 b7e7a701 bc34d686 fa87dfae
        80220010 5354554e 20746573 7420636c 69656e74
        00240004 6e0001ff
        80290008 932ff9b1 51263b36
        00060009 6576746a 3a683676 59202020
        00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
        80280004 e57a3bcf
        """)

    /// §2.2: the success response for 192.0.2.1:32853.
    static let ipv4Response = hex("""
        0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        00200008 0001a147e112a643 000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7
        80280004c07d4c96
        """)

    /// §2.3: the success response for [2001:db8:1234:5678:11:2233:4455:6677]:32853.
    static let ipv6Response = hex("""
        010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220
        002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9
        00080014a382954e4be67bf11784c97c8292c275bfe3ed41 80280004c8fb0b4c
        """)

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter(\.isHexDigit))
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }
}

@Suite("STUN messages (RFC 8489, vectors of RFC 5769)")
struct STUNMessageTests {
    @Test("the sample request parses: Binding request, its attributes in order, a correct FINGERPRINT")
    func sampleRequest() throws {
        let m = try STUNMessage(parsing: RFC5769.request)
        #expect(m.method == STUNMessage.bindingMethod && m.messageClass == .request)
        #expect(m.transactionID == RFC5769.transactionID)
        #expect(m.attributes.map(\.type) == [0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028])
        #expect(m.software == "STUN test client")
        #expect(m.attribute(.username)?.value == Array("evtj:h6vY".utf8))
        #expect(m.attribute(.messageIntegrity)?.value.count == 20)
    }

    @Test("the sample IPv4 response gives 192.0.2.1:32853")
    func sampleIPv4Response() throws {
        let m = try STUNMessage(parsing: RFC5769.ipv4Response)
        #expect(m.messageClass == .success && m.method == STUNMessage.bindingMethod)
        #expect(m.mappedAddress == Endpoint("192.0.2.1:32853"))
        #expect(m.software == "test vector")
    }

    @Test("the sample IPv6 response gives [2001:db8:1234:5678:11:2233:4455:6677]:32853")
    func sampleIPv6Response() throws {
        let m = try STUNMessage(parsing: RFC5769.ipv6Response)
        #expect(m.mappedAddress == Endpoint("[2001:db8:1234:5678:11:2233:4455:6677]:32853"))
    }

    @Test("XOR-MAPPED-ADDRESS and FINGERPRINT encode to the samples' bytes; encoded messages parse back")
    func encoding() throws {
        var m = STUNMessage(class: .success, transactionID: RFC5769.transactionID)
        m.append(mappedAddress: Endpoint("192.0.2.1:32853")!)
        #expect(m.attributes[0].value == RFC5769.hex("0001a147e112a643"))
        m.append(mappedAddress: Endpoint("[2001:db8:1234:5678:11:2233:4455:6677]:32853")!)
        #expect(m.attributes[1].value == RFC5769.hex("0002a1470113a9faa5d3f179bc25f4b5bed2b9d9"))
        m.append(software: "warren")
        var parsed = try STUNMessage(parsing: m.encoded(fingerprint: true))
        #expect(parsed.attributes.popLast()?.type == STUNAttribute.Kind.fingerprint.rawValue)
        #expect(parsed == m)
        for sample in [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response] {
            let crc = Array(sample.dropLast(8)).withUnsafeBytes { STUNMessage.fingerprint(of: $0) }
            #expect(crc.bigEndianBytes == Array(sample.suffix(4)))
        }
    }

    @Test("message types interleave method and class bits")
    func types() {
        let id = RFC5769.transactionID
        #expect(STUNMessage(class: .request, transactionID: id).type == 0x0001)
        #expect(STUNMessage(class: .indication, transactionID: id).type == 0x0011)
        #expect(STUNMessage(class: .success, transactionID: id).type == 0x0101)
        #expect(STUNMessage(class: .error, transactionID: id).type == 0x0111)
        let allocate = STUNMessage(method: 0x003, class: .error, transactionID: id)
        #expect(allocate.type == 0x0113)
        #expect(STUNMessage(type: 0x0113, transactionID: id, attributes: []) == allocate)
    }

    @Test("a changed byte breaks the FINGERPRINT; bad lengths, cookies and truncations are refused")
    func refusals() {
        var tampered = RFC5769.ipv4Response
        tampered[30] ^= 1
        #expect(throws: STUNError.badFingerprint) { try STUNMessage(parsing: tampered) }
        var noCookie = RFC5769.ipv4Response
        noCookie[5] = 0
        #expect(throws: STUNError.notSTUN) { try STUNMessage(parsing: noCookie) }
        #expect(throws: STUNError.notSTUN) { try STUNMessage(parsing: Array(RFC5769.request.prefix(19))) }
        #expect(throws: STUNError.badLength) { try STUNMessage(parsing: Array(RFC5769.request.dropLast(4))) }
        // An attribute claiming more than is there.
        var long = STUNMessage(class: .request, transactionID: RFC5769.transactionID,
                               attributes: [STUNAttribute(.software, value: [1, 2, 3, 4])]).encoded()
        long[23] = 40
        #expect(throws: STUNError.truncatedAttribute(type: 0x8022)) { try STUNMessage(parsing: long) }
        let many = STUNMessage(class: .request, transactionID: RFC5769.transactionID,
                               attributes: Array(repeating: STUNAttribute(.software, value: []), count: 33)).encoded()
        #expect(throws: STUNError.tooManyAttributes) { try STUNMessage(parsing: many) }
    }

    @Test("STUN and Warren's datagrams share the port without ambiguity")
    func demultiplexing() {
        // A Binding message's second byte is 0x01 or 0x11, never a Warren header's zero.
        for sample in [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response] {
            #expect(sample.withUnsafeBytes { MessageType.isSTUN($0) && MessageType.classify($0) == nil })
        }
        // A Warren header wins even if its index happens to equal the cookie.
        for type: UInt8 in 1...5 {
            let datagram = [type, 0, 0, 0, 0x21, 0x12, 0xa4, 0x42] + [UInt8](repeating: 0, count: 40)
            #expect(datagram.withUnsafeBytes { MessageType.classify($0) } != nil)
        }
        // Without the cookie only a Binding request whose length matches is STUN (RFC 3489).
        let noCookie = [0, 1, 0, 8] + [UInt8](repeating: 7, count: 16)
        #expect(noCookie.withUnsafeBytes { !MessageType.isSTUN($0) })
    }
}
