// STUNMessage(parsing:) and the Binding server: anyone on the internet can send these bytes
// to a node's UDP port, no session needed.
//
// Invariants:
// - A parsed message re-encodes (FINGERPRINT recomputed) to bytes that parse to the same
//   message, and its length fits the datagram.
// - The server's answer to a parsed request is a well-formed STUN message with the request's
//   transaction ID: a success naming the source, or an error; never larger than 68 bytes.
//   To an RFC 3489 request (no cookie) it echoes the 128-bit ID with a consistent length.
import FuzzSupport
import WarrenNAT
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let id = TransactionID(Array(1...12))
    var response = STUNMessage(class: .success, transactionID: id)
    response.append(mappedAddress: Endpoint("192.0.2.1:32853")!)
    response.append(software: "seed")
    Fuzz.writeSeedsIfRequested([
        ("binding-request", STUNMessage(class: .request, transactionID: id).encoded()),
        ("request-fingerprint", STUNMessage(class: .request, transactionID: id,
                                            attributes: [STUNAttribute(.changeRequest, value: [0, 0, 0, 0])]).encoded(fingerprint: true)),
        ("unknown-attribute", STUNMessage(class: .request, transactionID: id,
                                          attributes: [STUNAttribute(type: 0x0024, value: [1, 2, 3, 4])]).encoded()),
        ("success-response", response.encoded(fingerprint: true)),
    ])
    return 0
}

let source = Endpoint("[2001:db8::7]:40000")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard var message = try? STUNMessage(parsing: bytes) else { return 0 }
    if message.attributes.last?.type == STUNAttribute.Kind.fingerprint.rawValue { message.attributes.removeLast() }
    // With FINGERPRINT added it must still be within the attribute limit to parse again.
    if message.attributes.count < STUNMessage.maxAttributes {
        var again = try? STUNMessage(parsing: message.encoded(fingerprint: true))
        again?.attributes.removeLast()
        Fuzz.check(again == message, "message does not survive re-encoding")
    }
    var server = STUNResponder()
    if case .respond(let answer) = server.handle(message, from: source, now: Instant(nanoseconds: 0)) {
        Fuzz.check(answer.count <= 68, "answer of \(answer.count) bytes")
        if message.isClassic {
            // An RFC 3489 answer: no cookie to parse it by; the ID echoed, the length right.
            Fuzz.check(Array(answer[4..<20]) == Array(bytes[4..<20]), "answer does not echo the 128-bit ID")
            Fuzz.check(Int(answer[2]) << 8 | Int(answer[3]) == answer.count - 20, "answer length field wrong")
            return 0
        }
        guard let parsed = try? STUNMessage(parsing: answer) else { Fuzz.check(false, "unparseable answer"); return 0 }
        Fuzz.check(parsed.transactionID == message.transactionID, "answer has another transaction ID")
        Fuzz.check(parsed.messageClass == .error || parsed.mappedAddress == source, "success without the source address")
    }
    return 0
}
