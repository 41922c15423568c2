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
    /// A routed subnet covers part of the overlay: its holder could pose as members.
    case subnetOverlapsOverlay(subnet: String, overlay: String)
    /// A node address whose prefix length is not the CA network's (the interface route it
    /// installs would be wrong).
    case prefixLengthMismatch(address: String, network: String)
    /// The network or broadcast address of the CA's network, which no node may hold.
    case reservedAddress(address: String, network: String)
    /// A routed subnet wider than `AddressPolicy` allows.
    case subnetTooWide(subnet: String, minimumLength: UInt8)
    /// A CA network wider than `AddressPolicy` allows: it cannot be made, and an old one
    /// that is signs no more node certificates.
    case networkTooWide(network: String, minimumLength: UInt8)
    /// The key that authenticated the handshake is not the certificate's key.
    case keyMismatch
    case blocklisted(fingerprint: String)
    /// The certificate's public key is blocklisted, whichever certificate carries it.
    case blocklistedKey(publicKey: String)

    public var description: String {
        switch self {
        case .malformed(let e): "certificate is malformed: \(e)"
        case .badSignature: "certificate signature does not verify"
        case .wrongCA(let issuer): "certificate is from another CA (issuer \(issuer.prefix(16))…)"
        case .expired(let s): "certificate expired \(Self.humanDuration(s)) ago"
        case .notYetValid(let s): "certificate is not valid for another \(Self.humanDuration(s))"
        case .wrongKind(let expected): "expected a \(expected) certificate"
        case .addressOutsideNetwork(let a): "certificate claims \(a), outside the CA's networks"
        case .subnetOverlapsOverlay(let subnet, let overlay):
            "subnet \(subnet) overlaps the overlay network \(overlay), whose addresses only members hold"
        case .prefixLengthMismatch(let address, let network):
            "address \(address) must carry the prefix length of the CA's network \(network)"
        case .reservedAddress(let address, let network):
            "address \(address) is the network or broadcast address of \(network)"
        case .subnetTooWide(let subnet, let minimum):
            "subnet \(subnet) is too wide: routed subnets must be /\(minimum) or narrower"
        case .networkTooWide(let network, let minimum):
            "network \(network) is too wide: an overlay network must be /\(minimum) or narrower"
        case .keyMismatch: "certificate key does not match the handshake key"
        case .blocklisted(let fp): "certificate \(fp.prefix(16))… is blocklisted"
        case .blocklistedKey(let key): "public key \(key) is blocklisted"
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
