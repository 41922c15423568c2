// DHTMessage(parsing:) and PeerRecord(parsing:): what any certified member can put in a
// control message, and the records it carries (stored for others, handed out in answers).
// Both decoders run on every input.
//
// Invariants:
// - A decoded message or record re-encodes to exactly the input bytes (`encoded`): what is
//   stored, signed over and passed on is what was received.
// - The message's header is the input's: control kind 0x01 (below 0x40, never an IP
//   packet), request ID, and `isRequest` exactly for the request types (1, 3, 5, 7).
// - Counts respect the format's limits: at most `maxContacts` contacts and `maxRecords`
//   records; a record has at most `maxEndpoints` endpoints, a 64-byte signature, a
//   certificate within `UncheckedCertificate.maxEncodedBytes` and is at most
//   `PeerRecord.maxEncodedBytes` long; a contact's ID is the hash of its key.
// - A record that a store would accept (under its address key or node key, at the
//   fixture's time) is one a member of the fixture network really signed.
import FuzzFixtures
import FuzzSupport
import WarrenCrypto
import WarrenDHT
import WarrenPKI
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let net = FuzzNetwork.shared
    let expires = net.now.unixSeconds + 3600
    let alice = net.record(of: 0, endpoints: [net.aliceEndpoint], sequence: 1, expiresAt: expires)
    let bob = net.record(of: 1, endpoints: [net.bobEndpoint, Endpoint("[2001:db8::2]:51820")!], sequence: 7, expiresAt: expires)
    let carol = net.record(of: 2, endpoints: (1...8).map { Endpoint("[2001:db8::\($0)]:\(51820 + $0)")! }, sequence: 3,
                           expiresAt: expires)
    let contacts = (0..<DHTMessage.maxContacts).map { (i: Int) -> Contact in
        let endpoint: Endpoint = i % 2 == 0 ? Endpoint(address: .v4(IPv4Address(198, 51, 100, UInt8(i))), port: UInt16(1000 + i))
            : Endpoint("[2001:db8:1::\(i)]:51820")!
        return Contact(publicKey: Blake2b.hash32(Array("fuzz contact".utf8), [UInt8(i)]), endpoint: endpoint)
    }
    let aliceKeys = FuzzNetwork.recordKeys(of: net.alice)
    func message(_ id: UInt32, _ body: DHTMessage.Body) -> [UInt8] { DHTMessage(requestID: id, body: body).encoded }
    Fuzz.writeSeedsIfRequested([
        ("ping", message(0x0102_0304, .ping)),
        ("pong", message(0x0102_0304, .pong)),
        ("find-node", message(2, .findNode(target: NodeID(publicKey: net.bob.publicKey)))),
        ("nodes-3", message(2, .nodes(Array(contacts.prefix(3))))),
        ("nodes-max", message(3, .nodes(contacts))),
        ("store", message(4, .store(key: aliceKeys[0], record: alice))),
        ("store-result", message(4, .storeResult(.stale))),
        ("find-value", message(5, .findValue(key: aliceKeys[1]))),
        ("value", message(5, .value([alice, bob]))),
        ("value-empty", message(6, .value([]))),
        ("record-alice", alice.encoded),
        ("record-carol", carol.encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    if let m = try? DHTMessage(parsing: bytes) { check(m, bytes) }
    if let r = try? PeerRecord(parsing: bytes) {
        Fuzz.check(r.encoded == bytes, "record does not re-encode to its input")
        check(r)
    }
    return 0
}

func check(_ m: DHTMessage, _ bytes: [UInt8]) {
    Fuzz.check(m.encoded == bytes, "message does not re-encode to its input")
    Fuzz.check(bytes.count >= 6 && bytes[0] == DHTMessage.controlKind && bytes[0] < 0x40, "message header \(bytes.prefix(6))")
    let id = bytes[2..<6].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    Fuzz.check(m.requestID == id, "request ID \(m.requestID), header says \(id)")
    Fuzz.check(m.isRequest == [1, 3, 5, 7].contains(bytes[1]), "type \(bytes[1]) decoded as \(m.body), isRequest \(m.isRequest)")
    switch m.body {
    case .ping, .pong, .findNode, .findValue, .storeResult:
        break
    case .nodes(let contacts):
        Fuzz.check(contacts.count <= DHTMessage.maxContacts, "\(contacts.count) contacts accepted")
        for c in contacts { Fuzz.check(c.id == NodeID(publicKey: c.publicKey), "contact ID is not its key's") }
    case .store(_, let record):
        check(record)
    case .value(let records):
        Fuzz.check(records.count <= DHTMessage.maxRecords, "\(records.count) records accepted")
        for r in records { check(r) }
    }
}

func check(_ r: PeerRecord) {
    let encoded = r.encoded
    Fuzz.check(encoded.count <= PeerRecord.maxEncodedBytes, "record of \(encoded.count) bytes accepted")
    Fuzz.check(r.endpoints.count <= PeerRecord.maxEndpoints, "record with \(r.endpoints.count) endpoints accepted")
    Fuzz.check(r.signature.count == SigningKey.signatureByteCount, "record signature of \(r.signature.count) bytes")
    Fuzz.check(r.certificate.count <= UncheckedCertificate.maxEncodedBytes, "record certificate of \(r.certificate.count) bytes")
    Fuzz.check((try? PeerRecord(parsing: encoded)) == r, "re-encoded record decodes differently")

    // Only the records a member signed pass validation: the fuzzer cannot sign.
    let net = FuzzNetwork.shared
    guard let cert = try? UncheckedCertificate(parsing: r.certificate).verify(authority: net.authority,
                                                                             atUnixTime: net.now.unixSeconds) else { return }
    let store = RecordStore(authority: net.authority)
    for key in FuzzNetwork.recordKeys(of: cert) where (try? store.validate(r, under: key, now: net.now.unixSeconds)) != nil {
        Fuzz.check(net.isGenuine(r), "a record no member signed validates: \(Encoding.hex(encoded))")
    }
}
