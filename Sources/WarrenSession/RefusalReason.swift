public import WarrenPKI

/// Why a handshake was refused.
public enum RefusalReason: Error, Equatable, Sendable, CustomStringConvertible {
    /// Its certificate was refused (expired, another CA's, blocklisted, not its key…).
    case certificate(CertificateError)
    /// Its payload is not a timestamp and a certificate.
    case malformedPayload
    /// This node keeps `limit` proven peers already (`security.max_peers`).
    case peerTableFull(limit: Int)

    public var description: String {
        switch self {
        case .certificate(let error): error.description
        case .malformedPayload: "malformed handshake payload"
        case .peerTableFull(let limit): "peer table full (\(limit) peers, security.max_peers)"
        }
    }

    /// Whether two refusals have one cause, to be counted as one: a certificate that
    /// expired is the same refusal a minute later, though its text says a minute more.
    public func hasSameCause(as other: RefusalReason) -> Bool {
        switch (self, other) {
        case (.certificate(.expired), .certificate(.expired)), (.certificate(.notYetValid), .certificate(.notYetValid)): true
        default: self == other
        }
    }
}
