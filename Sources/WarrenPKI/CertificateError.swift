public import WarrenWire

/// Why a certificate was refused. Each case reads as a sentence an operator can act on, as
/// `warren status` and the log show it for a refused peer.
public enum CertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(WireError)
    case badSignature
    /// Signed by a CA other than ours; carries the other issuer's fingerprint.
    case wrongCA(issuer: String)
    case expired(secondsAgo: UInt64)
    case notYetValid(secondsAhead: UInt64)
    case wrongKind(expected: String)
    /// An overlay address or subnet lies outside the networks the CA allows.
    case addressOutsideNetwork(String)
    /// The key that authenticated the handshake is not the certificate's key.
    case keyMismatch
    case blocklisted(fingerprint: String)

    public var description: String {
        switch self {
        case .malformed(let e): "certificate is malformed: \(e)"
        case .badSignature: "certificate signature does not verify"
        case .wrongCA(let issuer): "certificate is from another CA (issuer \(issuer.prefix(16))…)"
        case .expired(let s): "certificate expired \(Self.humanDuration(s)) ago"
        case .notYetValid(let s): "certificate is not valid for another \(Self.humanDuration(s))"
        case .wrongKind(let expected): "expected a \(expected) certificate"
        case .addressOutsideNetwork(let a): "certificate claims \(a), outside the CA's networks"
        case .keyMismatch: "certificate key does not match the handshake key"
        case .blocklisted(let fp): "certificate \(fp.prefix(16))… is blocklisted"
        }
    }

    static func humanDuration(_ seconds: UInt64) -> String {
        switch seconds {
        case ..<120: "\(seconds) seconds"
        case ..<7200: "\(seconds / 60) minutes"
        case ..<172_800: "\(seconds / 3600) hours"
        default: "\(seconds / 86400) days"
        }
    }
}
