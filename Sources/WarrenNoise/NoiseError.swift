/// Why a Noise handshake message was refused.
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message is shorter than its fixed part.
    case truncated
    /// An AEAD tag failed: wrong keys, a tampered message, or not meant for us.
    case decryptionFailed
    /// A DH produced the all-zero output (a low-order public key).
    case weakKey

    public var description: String {
        switch self {
        case .truncated: "handshake message too short"
        case .decryptionFailed: "handshake message failed authentication"
        case .weakKey: "peer offered a low-order public key"
        }
    }
}
