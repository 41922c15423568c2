/// A finished handshake (IK or NK) from one side's point of view.
public struct NoiseHandshakeResult: ~Copyable, Sendable {
    /// The decrypted payload of the last message this side read (empty for the responder's
    /// own reply).
    public let payload: [UInt8]
    public var keys: TransportKeys

    /// Hands over the transport keys (the payload has been read by then).
    public consuming func takeKeys() -> TransportKeys { keys }
}
