public import WarrenCrypto
public import WarrenWire

/// What the session manager asks its caller to do. The control thread performs them in order.
public enum SessionAction: Sendable {
    /// Send these bytes (a handshake message, a keepalive, or a held packet) to `endpoint`.
    case send([UInt8], to: Endpoint)
    /// A handshake completed with the member `publicKey` (named `peer` in its certificate).
    /// `isRekey` when it replaced live keys (every two minutes, so worth a debug line only);
    /// otherwise a session came up, worth an info line.
    case established(peer: String, publicKey: Key32, path: Path, isRekey: Bool)
    /// A peer or a message was refused for a reason not reported before: worth one log line,
    /// unless refusals come so fast that their lines are rationed (`SessionManager.refuse`);
    /// `notLogged` counts the refusals since the last line that got none.
    case refused(Refusal, notLogged: Int)
    /// Handshakes to this proven peer went unanswered for `Timing.relocateAfter`, once per run of
    /// attempts: the peer may have moved, so its current endpoints are worth looking up
    /// (then `SessionManager.relocate`).
    case unanswered(publicKey: Key32)
    /// A handshake with a proven peer was abandoned after `Timing.rekeyAttemptTime`.
    case gaveUp(peer: String)
}

/// A refused handshake, as `warren status` lists it: who (only as far as the handshake
/// proved it: never a name or key taken from a certificate nobody proved to hold), from
/// where, why, how often.
public struct Refusal: Sendable, Hashable, Codable {
    public var name: String?
    public var publicKey: String?
    public var endpoint: String
    public var reason: String
    public var count: Int
    public var lastUnixSeconds: UInt64
}
