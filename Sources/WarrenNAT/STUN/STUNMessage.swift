import WarrenWire

/// A STUN message (RFC 8489 §5): a 20-byte header — two zero bits, the type (method and
/// class), the length of what follows, the magic cookie and a 96-bit transaction ID — then
/// type-length-value attributes, each padded to 4 bytes.
///
/// Attributes are kept raw, in order, so a message re-encodes to the same bytes; the
/// accessors in `STUNMessage+Attributes` read the ones Warren uses.
public struct STUNMessage: Equatable, Sendable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerBytes = 20
    /// More than any Binding request or response carries; a bound on parsing work.
    public static let maxAttributes = 32

    public enum Class: UInt8, Sendable {
        case request = 0, indication = 1, success = 2, error = 3
    }

    public static let bindingMethod: UInt16 = 0x001

    public var method: UInt16
    public var messageClass: Class
    /// The magic cookie, or for an RFC 3489 client the first 32 bits of its 128-bit
    /// transaction ID, which a response must echo (RFC 8489 §12).
    public var cookie: UInt32 = STUNMessage.magicCookie
    public var transactionID: TransactionID
    public var attributes: [STUNAttribute]

    public init(method: UInt16 = STUNMessage.bindingMethod, class messageClass: Class, transactionID: TransactionID,
                attributes: [STUNAttribute] = []) {
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// From a client of RFC 3489, which knows neither the cookie nor XOR-MAPPED-ADDRESS.
    public var isClassic: Bool { cookie != Self.magicCookie }

    /// The 16-bit message type: the 12-bit method with the two class bits interleaved at
    /// bits 4 and 8 (RFC 8489 §5, figure 3).
    var type: UInt16 {
        let c = UInt16(messageClass.rawValue)
        return (method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 | (c & 1) << 4 | (c & 2) << 7
    }

    init(type: UInt16, transactionID: TransactionID, attributes: [STUNAttribute]) {
        method = (type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2
        messageClass = Class(rawValue: UInt8((type >> 4) & 1 | (type >> 7) & 2))!
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// Parses one datagram. A FINGERPRINT attribute, if present, must be last and correct;
    /// attributes after MESSAGE-INTEGRITY other than FINGERPRINT are dropped, as RFC 8489
    /// §14.5 tells receivers to ignore them.
    public init(parsing datagram: UnsafeRawBufferPointer) throws(STUNError) {
        guard MessageType.isSTUN(datagram) else { throw .notSTUN }
        func uint16(at i: Int) -> UInt16 { UInt16(datagram[i]) << 8 | UInt16(datagram[i + 1]) }
        let length = Int(uint16(at: 2))
        guard length % 4 == 0, length + Self.headerBytes == datagram.count else { throw .badLength }
        var attributes: [STUNAttribute] = []
        var afterIntegrity = false
        var offset = Self.headerBytes
        while offset < datagram.count {
            guard attributes.count < Self.maxAttributes else { throw .tooManyAttributes }
            guard offset + 4 <= datagram.count else { throw .badLength }
            let type = uint16(at: offset), valueLength = Int(uint16(at: offset + 2))
            let valueStart = offset + 4, next = valueStart + valueLength + STUNAttribute.padding(valueLength)
            guard next <= datagram.count else { throw .truncatedAttribute(type: type) }
            let value = Array(datagram[valueStart..<valueStart + valueLength])
            if type == STUNAttribute.Kind.fingerprint.rawValue {
                let expected = Self.fingerprint(of: UnsafeRawBufferPointer(rebasing: datagram[..<offset]))
                guard next == datagram.count, value == expected.bigEndianBytes else { throw .badFingerprint }
            }
            offset = next
            if afterIntegrity, type != STUNAttribute.Kind.fingerprint.rawValue { continue }
            if type == STUNAttribute.Kind.messageIntegrity.rawValue { afterIntegrity = true }
            attributes.append(STUNAttribute(type: type, value: value))
        }
        self.init(type: uint16(at: 0), transactionID: TransactionID(Array(datagram[8..<20])), attributes: attributes)
        cookie = UInt32(uint16(at: 4)) << 16 | UInt32(uint16(at: 6))
    }

    public init(parsing bytes: [UInt8]) throws(STUNError) {
        self = try bytes.withUnsafeBytes { raw in Result { () throws(STUNError) in try STUNMessage(parsing: raw) } }.get()
    }

    /// The wire form. With `fingerprint`, a FINGERPRINT attribute is appended (any already in
    /// `attributes` is written where it stands, so leave it out).
    public func encoded(fingerprint: Bool = false) -> [UInt8] {
        let body = attributes.reduce(0) { $0 + 4 + $1.value.count + STUNAttribute.padding($1.value.count) }
        var w = WireWriter(capacity: Self.headerBytes + body + 8)
        w.write(type)
        w.write(UInt16(body + (fingerprint ? 8 : 0)))
        w.write(cookie)
        w.write(bytes: transactionID.bytes)
        for attribute in attributes {
            w.write(attribute.type)
            w.write(UInt16(attribute.value.count))
            w.write(bytes: attribute.value)
            w.write(bytes: repeatElement(0 as UInt8, count: STUNAttribute.padding(attribute.value.count)))
        }
        guard fingerprint else { return w.bytes }
        let crc = w.bytes.withUnsafeBytes { Self.fingerprint(of: $0) }
        w.write(STUNAttribute.Kind.fingerprint.rawValue)
        w.write(UInt16(4))
        w.write(crc)
        return w.bytes
    }
}

/// A STUN transaction ID: 96 random bits that match a response to its request.
public struct TransactionID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        precondition(bytes.count == 12)
        self.bytes = bytes
    }

    public var description: String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] {
        [UInt8(self >> 24), UInt8(truncatingIfNeeded: self >> 16), UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self)]
    }
}
