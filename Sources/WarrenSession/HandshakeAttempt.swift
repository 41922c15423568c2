import WarrenCrypto
import WarrenNoise
import WarrenWire

/// Where this side's own handshaking with one peer stands (WireGuard's initiator timers,
/// whitepaper §6.4): idle, or an initiation out and unanswered. Initiations that go
/// unanswered form a run, from the first until an answer or until the run is given up.
enum HandshakeAttempt: ~Copyable {
    case idle
    case awaiting(PendingHandshake)

    var isAwaiting: Bool {
        switch self {
        case .idle: false
        case .awaiting: true
        }
    }

    /// When the initiation out is sent again, as a new one.
    var retryAt: Instant? {
        switch self {
        case .idle: nil
        case .awaiting(let pending): pending.retryAt
        }
    }

    /// The index the initiation offered: its response is addressed to it.
    var localIndex: UInt32? {
        switch self {
        case .idle: nil
        case .awaiting(let pending): pending.localIndex
        }
    }

    /// The initiation as sent.
    var message: [UInt8]? {
        switch self {
        case .idle: nil
        case .awaiting(let pending): pending.message
        }
    }

    /// The run of unanswered initiations the one out belongs to.
    var run: AttemptRun? {
        switch self {
        case .idle: nil
        case .awaiting(let pending): pending.run
        }
    }

    /// Marks that this run asked for the peer's whereabouts, once.
    mutating func noteAskedWhereabouts() {
        guard case .awaiting(var pending) = consume self else {
            self = .idle
            return
        }
        pending.run.askedWhereabouts = true
        self = .awaiting(pending)
    }

    /// Ends the attempt, handing back what was pending.
    mutating func take() -> PendingHandshake? {
        switch consume self {
        case .idle:
            self = .idle
            return nil
        case .awaiting(let pending):
            self = .idle
            return pending
        }
    }

    /// Reads a reply to the initiation out, leaving it out whatever the outcome (a forged
    /// reply must not end it); nil when none is out.
    func readResponse(_ message: [UInt8], staticKey: borrowing X25519PrivateKey) throws(NoiseError) -> NoiseHandshakeResult? {
        switch self {
        case .idle: nil
        case .awaiting(let pending): try pending.initiator.readResponse(message, staticKey: staticKey)
        }
    }
}

/// When the initiation out to `peer` is due to be sent again (`SessionManager.retries`),
/// ordered by that time.
struct HandshakeRetry: Comparable {
    let at: Instant
    let peer: Key32

    static func < (a: HandshakeRetry, b: HandshakeRetry) -> Bool { a.at < b.at }
}

/// A run of unanswered initiations to one peer.
struct AttemptRun {
    /// The first initiation's time: the run is given up `Peer.attemptTime` after it.
    let startedAt: Instant
    /// Whether the run asked for the peer's whereabouts (`SessionAction.unanswered`).
    var askedWhereabouts = false
}

/// An initiation this side sent and is waiting to hear back about.
struct PendingHandshake: ~Copyable {
    let initiator: IKInitiator
    let localIndex: UInt32
    let retryAt: Instant
    /// The initiation as sent, to send once more on a path found while it is pending (a
    /// relay): a new initiation would make the answer to this one unknown_index.
    let message: [UInt8]
    var run: AttemptRun
}
