/// Session timing constants, WireGuard's (whitepaper §6.1), which are well understood by
/// operators and proven against NAT timeouts and key-wear limits.
public enum Timing {
    /// An initiator starts a new handshake once its keypair is this old.
    public static let rekeyAfterTime: Duration = .seconds(120)
    /// Up to this much is added to each initiator keypair's rekey time (see `Keypair`).
    public static let rekeyJitterMilliseconds: UInt64 = 10_000

    /// The jitter bound for a shorter rekey interval (`SessionManager.rekeyAfterTime`, set
    /// only by benchmarks): the same share of it, so a 10 s interval stays near 10 s.
    public static func rekeyJitterMilliseconds(for rekeyAfter: Duration) -> UInt64 {
        max(1, UInt64(Double(rekeyJitterMilliseconds) * (rekeyAfter / rekeyAfterTime)))
    }
    /// No keypair is used to send or receive after this age.
    public static let rejectAfterTime: Duration = .seconds(180)
    /// Initiations are retransmitted after this (plus jitter) without a response.
    public static let rekeyTimeout: Duration = .seconds(5)
    /// Up to this much random delay is added to each retransmission so peers do not sync up.
    public static let rekeyTimeoutJitterMilliseconds: UInt64 = 333
    /// The first wait for an answer from a peer that never answered (then doubling up to
    /// `rekeyTimeout`).
    public static let firstContactRetry: Duration = .milliseconds(250)
    /// Handshakes unanswered this long: the peer may have moved, so its record is looked up
    /// again (`SessionAction.unanswered`). Two retransmissions, so one lost packet does not do it.
    public static let relocateAfter: Duration = .seconds(10)
    /// A handshake is abandoned after trying this long.
    public static let rekeyAttemptTime: Duration = .seconds(90)
    /// After receiving data and sending nothing for this long, send an empty keepalive.
    public static let keepaliveTimeout: Duration = .seconds(10)
    /// Keys are wiped when nothing renewed them for this long.
    public static let wipeAfterTime: Duration = .seconds(540)
    /// Messages under one keypair before rekeying, and the hard limit (nonce wear).
    public static let rekeyAfterMessages: UInt64 = 1 << 60
    public static let rejectAfterMessages: UInt64 = UInt64.max - (1 << 13)
    /// A handshake to a prospect (a key no certificate vouched for yet) is abandoned after
    /// this: three initiations, enough for a DHT query or a punch, and no more for a key a
    /// member may have invented.
    public static let prospectAttemptTime: Duration = .seconds(15)
    /// A peer with no session, handshake, staged packet or other purpose is removed after
    /// this long without traffic or use (see `SessionManager+PeerTable`).
    public static let idlePeerLifetime: Duration = .seconds(120)
    /// An initiation from the same peer is answered at most this often.
    public static let minInitiationInterval: Duration = .milliseconds(50)
}
