public import WarrenPKI
public import WarrenWire

/// Why a storing node refused a record. Each is counted; the requester is told the reason.
public enum RecordError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(WireError)
    case certificate(CertificateError)
    case badSignature
    /// The key is neither the certificate's address key nor its node key.
    case notOwned
    case expired
    /// Expiry further ahead than a store accepts.
    case lifetimeTooLong
    /// Not newer than the record already stored for that node.
    case staleSequence(stored: UInt64)
    case storageFull

    public var description: String {
        switch self {
        case .malformed(let e): "record is malformed: \(e)"
        case .certificate(let e): "record's \(e)"
        case .badSignature: "record signature does not verify"
        case .notOwned: "record is stored under a key its certificate does not own"
        case .expired: "record has expired"
        case .lifetimeTooLong: "record expires too far ahead"
        case .staleSequence(let s): "record is not newer than the stored one (sequence \(s))"
        case .storageFull: "storage limit reached"
        }
    }
}
