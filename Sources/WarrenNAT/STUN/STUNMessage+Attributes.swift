public import WarrenWire

extension STUNMessage {
    public func attribute(_ kind: STUNAttribute.Kind) -> STUNAttribute? {
        attributes.first { $0.type == kind.rawValue }
    }

    /// The reflexive address a Binding response reports: XOR-MAPPED-ADDRESS, or the plain
    /// MAPPED-ADDRESS that RFC 3489 servers still send.
    public var mappedAddress: Endpoint? {
        if !isClassic, let a = attribute(.xorMappedAddress) { return STUNAttribute.endpoint(from: a.value, xor: transactionID) }
        if let a = attribute(.mappedAddress) { return STUNAttribute.endpoint(from: a.value, xor: nil) }
        return nil
    }

    /// RFC 5780's OTHER-ADDRESS: the server's second address and port, for behaviour tests.
    public var otherAddress: Endpoint? {
        attribute(.otherAddress).flatMap { STUNAttribute.endpoint(from: $0.value, xor: nil) }
    }

    public var software: String? {
        attribute(.software).map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// ERROR-CODE as (code, reason), e.g. (420, "Unknown Attribute").
    public var errorCode: (code: Int, reason: String)? {
        guard let v = attribute(.errorCode)?.value, v.count >= 4 else { return nil }
        return (Int(v[2] & 0x07) * 100 + Int(v[3]), String(decoding: v[4...], as: UTF8.self))
    }

    /// XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS in a message to an RFC 3489 client.
    public mutating func append(mappedAddress endpoint: Endpoint) {
        attributes.append(isClassic
            ? STUNAttribute(.mappedAddress, value: STUNAttribute.address(endpoint, xor: nil))
            : STUNAttribute(.xorMappedAddress, value: STUNAttribute.address(endpoint, xor: transactionID)))
    }

    public mutating func append(software: String) {
        // At most 763 bytes (RFC 8489 §14.14); ours is short.
        attributes.append(STUNAttribute(.software, value: Array(software.utf8.prefix(763))))
    }

    public mutating func append(errorCode code: Int, reason: String) {
        attributes.append(STUNAttribute(.errorCode, value: [0, 0, UInt8(code / 100), UInt8(code % 100)] + Array(reason.utf8)))
    }
}
