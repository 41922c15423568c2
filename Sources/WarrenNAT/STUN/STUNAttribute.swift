import WarrenWire

/// One attribute of a STUN message, raw: its type and its value without padding.
public struct STUNAttribute: Equatable, Sendable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// The attributes Warren reads or writes (RFC 8489 §14, RFC 5780 §7).
    public enum Kind: UInt16, Sendable {
        case mappedAddress = 0x0001
        case changeRequest = 0x0003
        case username = 0x0006
        case messageIntegrity = 0x0008
        case errorCode = 0x0009
        case unknownAttributes = 0x000A
        case xorMappedAddress = 0x0020
        case software = 0x8022
        case fingerprint = 0x8028
        case responseOrigin = 0x802B
        case otherAddress = 0x802C
    }

    public init(_ kind: Kind, value: [UInt8]) {
        self.init(type: kind.rawValue, value: value)
    }

    /// Comprehension-required attributes are below 0x8000 (RFC 8489 §14): a request with one
    /// we do not know gets error 420.
    public var isComprehensionRequired: Bool { type < 0x8000 }

    static func padding(_ length: Int) -> Int { (4 - length % 4) % 4 }
}

extension STUNAttribute {
    /// MAPPED-ADDRESS and friends: reserved byte, family (1 IPv4, 2 IPv6), port, address.
    /// XOR-MAPPED-ADDRESS XORs the port with the cookie's top half and the address with the
    /// cookie followed by the transaction ID (RFC 8489 §14.2), so NATs that rewrite addresses
    /// they find in payloads leave it alone.
    static func address(_ endpoint: Endpoint, xor transactionID: TransactionID?) -> [UInt8] {
        var w = WireWriter(capacity: 20)
        w.write(UInt8(0))
        let raw: [UInt8]
        switch endpoint.address {
        case .v4(let a): w.write(UInt8(1)); raw = a.bytes
        case .v6(let a): w.write(UInt8(2)); raw = a.bytes
        }
        guard let transactionID else {
            w.write(endpoint.port)
            w.write(bytes: raw)
            return w.bytes
        }
        w.write(endpoint.port ^ UInt16(STUNMessage.magicCookie >> 16))
        w.write(bytes: zip(raw, xorMask(transactionID)).map { $0 ^ $1 })
        return w.bytes
    }

    static func endpoint(from value: [UInt8], xor transactionID: TransactionID?) -> Endpoint? {
        guard value.count == 8 || value.count == 20 else { return nil }
        let family = value[1]
        var port = UInt16(value[2]) << 8 | UInt16(value[3])
        var raw = Array(value[4...])
        if let transactionID {
            port ^= UInt16(STUNMessage.magicCookie >> 16)
            raw = zip(raw, xorMask(transactionID)).map { $0 ^ $1 }
        }
        switch (family, raw.count) {
        case (1, 4): return Endpoint(address: .v4(IPv4Address(raw[0], raw[1], raw[2], raw[3])), port: port)
        case (2, 16): return IPv6Address(bytes: raw).map { Endpoint(address: .v6($0), port: port) }
        default: return nil
        }
    }

    private static func xorMask(_ transactionID: TransactionID) -> [UInt8] {
        STUNMessage.magicCookie.bigEndianBytes + transactionID.bytes
    }
}
