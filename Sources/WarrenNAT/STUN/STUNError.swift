/// Why a datagram is not a STUN message we accept. Counted and dropped, never answered.
public enum STUNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Shorter than a header, the first two bits set, or no magic cookie: not STUN at all.
    case notSTUN
    /// The length field disagrees with the datagram, or is not a multiple of 4.
    case badLength
    /// An attribute runs past the end of the message.
    case truncatedAttribute(type: UInt16)
    /// More attributes than any Binding message needs.
    case tooManyAttributes
    /// FINGERPRINT present but not last, or its CRC does not match.
    case badFingerprint
    /// An address attribute with an unknown family or the wrong size.
    case badAddress(type: UInt16)

    public var description: String {
        switch self {
        case .notSTUN: "not a STUN message"
        case .badLength: "length field does not match the datagram"
        case .truncatedAttribute(let t): "attribute 0x\(String(t, radix: 16)) runs past the end"
        case .tooManyAttributes: "too many attributes"
        case .badFingerprint: "FINGERPRINT missing from the end or wrong"
        case .badAddress(let t): "address attribute 0x\(String(t, radix: 16)) malformed"
        }
    }
}
