import WarrenCrypto
public import WarrenWire

/// The DHT's messages. They travel only as control messages inside authenticated sessions
/// (plaintext first byte `DHTMessage.controlKind`, below 0x40, so never mistaken for an IP
/// packet): nodes without a valid certificate get no answers, and observers on the wire see
/// only ciphertext. The sender is the session's peer; nothing in the message claims it.
///
/// ```
///  kind(1) = 0x01 ‖ type(1) ‖ request id(4) ‖ body
///  ping        (empty)                         pong         (empty)
///  findNode    target(32)                      nodes        count(1) ‖ contacts
///  store       key(32) ‖ length(2) ‖ record    storeResult  status(1)
///  findValue   key(32)                         value        count(1) ‖ (length(2) ‖ record)…
///  contact = public key(32) ‖ family(1: 4 or 6) ‖ address(4 or 16) ‖ port(2)
/// ```
/// Every message fits one transport packet (the MTU): at most 20 contacts or 3 records.
public struct DHTMessage: Equatable, Sendable {
    public static let controlKind: UInt8 = 0x01
    public static let maxContacts = 20
    public static let maxRecords = 3
    /// What every message must fit: one transport packet at the default MTU. Three records
    /// can be larger (a certificate alone may be 800 bytes), so value replies are also bounded
    /// by size (`DHTNode`).
    public static let maxEncodedBytes = 1420

    public enum Body: Equatable, Sendable {
        case ping
        case pong
        case findNode(target: NodeID)
        case nodes([Contact])
        case store(key: NodeID, record: PeerRecord)
        case storeResult(StoreStatus)
        case findValue(key: NodeID)
        case value([PeerRecord])
    }

    /// What a store request came to; the reasons mirror `RecordError`.
    public enum StoreStatus: UInt8, Sendable {
        case stored = 0
        case invalid = 1
        case stale = 2
        case full = 3
        case rateLimited = 4
    }

    public var requestID: UInt32
    public var body: Body

    public init(requestID: UInt32, body: Body) {
        self.requestID = requestID
        self.body = body
    }

    public var isRequest: Bool {
        switch body {
        case .ping, .findNode, .store, .findValue: true
        case .pong, .nodes, .storeResult, .value: false
        }
    }

    var typeCode: UInt8 {
        switch body {
        case .ping: 1
        case .pong: 2
        case .findNode: 3
        case .nodes: 4
        case .store: 5
        case .storeResult: 6
        case .findValue: 7
        case .value: 8
        }
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 64)
        w.write(Self.controlKind)
        w.write(typeCode)
        w.write(requestID)
        switch body {
        case .ping, .pong:
            break
        case .findNode(let target), .findValue(let target):
            w.write(bytes: target.raw.bytes)
        case .nodes(let contacts):
            precondition(contacts.count <= Self.maxContacts)
            w.write(UInt8(contacts.count))
            for c in contacts { Self.write(c, into: &w) }
        case .store(let key, let record):
            w.write(bytes: key.raw.bytes)
            w.writeLongBytes(record.encoded)
        case .storeResult(let status):
            w.write(status.rawValue)
        case .value(let records):
            precondition(records.count <= Self.maxRecords)
            w.write(UInt8(records.count))
            for r in records { w.writeLongBytes(r.encoded) }
        }
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == Self.controlKind else { throw .invalidField("control kind") }
            let type = try r.readUInt8()
            let id = try r.readUInt32()
            let body: Body
            switch type {
            case 1: body = .ping
            case 2: body = .pong
            case 3: body = .findNode(target: NodeID(raw: Key32(copying: try r.readSlice(32))))
            case 4:
                let n = Int(try r.readUInt8())
                guard n <= Self.maxContacts else { throw .invalidField("contact count \(n)") }
                var contacts: [Contact] = []
                for _ in 0..<n { contacts.append(try Self.readContact(&r)) }
                body = .nodes(contacts)
            case 5:
                let key = NodeID(raw: Key32(copying: try r.readSlice(32)))
                let record = try PeerRecord(parsing: try r.readLongBytes(maxCount: PeerRecord.maxEncodedBytes))
                body = .store(key: key, record: record)
            case 6:
                let raw = try r.readUInt8()
                guard let status = StoreStatus(rawValue: raw) else { throw .invalidField("store status \(raw)") }
                body = .storeResult(status)
            case 7: body = .findValue(key: NodeID(raw: Key32(copying: try r.readSlice(32))))
            case 8:
                let n = Int(try r.readUInt8())
                guard n <= Self.maxRecords else { throw .invalidField("record count \(n)") }
                var records: [PeerRecord] = []
                for _ in 0..<n { records.append(try PeerRecord(parsing: try r.readLongBytes(maxCount: PeerRecord.maxEncodedBytes))) }
                body = .value(records)
            default:
                throw .unsupported("DHT message type \(type)")
            }
            return DHTMessage(requestID: id, body: body)
        }
    }

    static func write(_ c: Contact, into w: inout WireWriter) {
        w.write(bytes: c.publicKey.bytes)
        c.endpoint.encode(into: &w)
    }

    static func readContact(_ r: inout WireReader) throws(WireError) -> Contact {
        let key = Key32(copying: try r.readSlice(32))
        return Contact(publicKey: key, endpoint: try Endpoint(parsing: &r))
    }
}
