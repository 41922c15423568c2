import WarrenWire

/// What a handshake message must pass after its mac1 and before any public-key work: at
/// most `burst` at once and `perSecond` on average from one source, as WireGuard's
/// ratelimiter.go allows. Without it, anyone who knows a node's public key (beacons,
/// bootstrap lines and `status` show it) makes it do two X25519 and an Ed25519 per packet.
///
/// A source is an IPv4 address or an IPv6 /64 (one host's share of a network, as WireGuard
/// takes it), or, for a message that came through a relay, the relay's address and channel:
/// each channel joins one pair of members, so members behind one relay do not share a
/// bucket. The table of sources is bounded (`KeyedRateLimiter`).
struct HandshakeGate {
    static let burst = 5.0
    static let perSecond = 20.0
    static let maxSources = 4096

    struct Source: Hashable, Sendable {
        let address: IPAddress
        let channel: UInt32

        init(_ path: Path) {
            switch path.endpoint.address {
            case .v4: address = path.endpoint.address
            case .v6(let a): address = .v6(IPv6Address(high: a.high, low: 0))
            }
            channel = path.channel
        }
    }

    private var limiter = KeyedRateLimiter<Source>(capacity: burst, perSecond: perSecond, maxKeys: maxSources)

    /// Takes a token for the message's source; false means drop it unread.
    mutating func admits(from path: Path, now: Instant) -> Bool {
        limiter.allow(Source(path), now: now)
    }
}
