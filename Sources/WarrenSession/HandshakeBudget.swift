import WarrenWire

/// How many initiations this node sends towards an address where no peer has proven itself
/// yet: `burst` at once, then `perSecond`. A member can name any address for a key it
/// invented (a DHT contact, a relay's `bound` message); without this bound, each invented
/// key cost a stream of initiations to that address (issue 11 found 17.6 MB sent to one
/// address a member chose). Handshakes to proven peers (a certificate verified, or a static
/// peer of the config) are not counted: their addresses come from a handshake, a signed
/// record or the operator.
///
/// Addresses are counted as `HandshakeGate` counts sources (an IPv4 address, an IPv6 /64),
/// so a member gains nothing by varying ports or the low bits of an IPv6 address.
struct HandshakeBudget {
    static let burst = 8.0
    static let perSecond = 0.5
    static let maxAddresses = 4096

    private var limiter = KeyedRateLimiter<HandshakeGate.Source>(capacity: burst, perSecond: perSecond, maxKeys: maxAddresses)

    /// Takes one initiation's worth for `endpoint`; false means send nothing there now.
    mutating func allows(_ endpoint: Endpoint, now: Instant) -> Bool {
        limiter.allow(HandshakeGate.Source(.direct(endpoint)), now: now)
    }
}
