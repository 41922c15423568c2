/// Failures of cryptographic operations. None of them carries secret material.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer's X25519 public key is a low-order point: the shared secret would be all zeros.
    case weakPublicKey
    /// An AEAD tag or a signature did not verify.
    case authenticationFailed
    /// A key or signature had the wrong length or encoding.
    case malformedKey(String)

    public var description: String {
        switch self {
        case .weakPublicKey: "the peer's public key is a low-order point"
        case .authenticationFailed: "authentication failed"
        case .malformedKey(let what): "malformed key: \(what)"
        }
    }
}
