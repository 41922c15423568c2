public import WarrenWire

/// What the inbound packet thread asks of a handshake message before it copies it for the
/// control thread: an initiation or a response must carry a valid mac1 (one keyed hash, no
/// allocation), and every handshake message, cookie replies too, must pass the per-source
/// `HandshakeGate`. A flood then costs the packet thread a hash a datagram and reaches the
/// control thread only at the gate's rate: the rest is never copied, queued or woken for
/// (bench/flood found those copies cost the session a quarter of its throughput).
///
/// The session manager checks mac1 again on what it reads, so that it trusts nothing its
/// caller did; at the gate's rate, that hash costs nothing.
public struct HandshakeAdmission: Sendable {
    private let macKey: [UInt8]
    private var gate = HandshakeGate()

    init(macKey: [UInt8]) {
        self.macKey = macKey
    }

    /// Nil when `message` (a whole handshake message, as `DataPath.inbound` found it) may go
    /// to the control thread; otherwise why it is dropped.
    public mutating func check(_ message: UnsafeRawBufferPointer, from path: Path, now: Instant) -> DropReason? {
        switch MessageType.classify(message) {
        case .handshakeInitiation:
            guard message.count >= HandshakeInitiation.minByteCount else { return .malformed }
        case .handshakeResponse:
            guard message.count >= HandshakeResponse.minByteCount else { return .malformed }
        case .cookieReply:
            guard message.count == CookieReply.byteCount else { return .malformed }
            return gate.admits(from: path, now: now) ? nil : .rateLimited
        default:
            return .unknownType
        }
        guard HandshakeMAC.verifyMAC1(ofMessage: message, key: macKey) else { return .authenticationFailed }
        return gate.admits(from: path, now: now) ? nil : .rateLimited
    }
}

extension SessionManager {
    /// The admission check for this node's inbound packet thread, keyed by its handshake key.
    public func makeHandshakeAdmission() -> HandshakeAdmission {
        HandshakeAdmission(macKey: ownMACKey)
    }
}
