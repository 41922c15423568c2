public import WarrenCrypto
import WarrenNoise
import WarrenPKI
public import WarrenWire

/// A peer as configured (a static peer: its key and endpoint) or as learned from an accepted
/// handshake.
public struct PeerConfig: Sendable {
    public var publicKey: Key32
    public var endpoint: Endpoint?
    /// Send a keepalive when nothing was sent for this long (for NAT mappings); nil = off.
    public var persistentKeepalive: Duration?

    public init(publicKey: Key32, endpoint: Endpoint?, persistentKeepalive: Duration? = nil) {
        self.publicKey = publicKey
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
    }
}

/// How a peer's address came to be known, as `warren status` tells it.
public enum FoundBy: String, Codable, Sendable {
    /// A `[[peer]]` of the config.
    case config
    /// Its own handshake reached us.
    case handshake
    /// It is a DHT contact (a bootstrap node, or one a lookup named).
    case dht
    /// Its DHT record, looked up to send it packets.
    case record
    /// A rendezvous node passed on its request to punch a hole.
    case punch
    /// Its beacon on a LAN this node is on.
    case lan
    /// A relay joined us to it.
    case relay
}

/// The control thread's state for one peer: its identity, where to reach it, its keys
/// (`KeyRing`) and the handshake in flight.
final class Peer {
    let publicKey: Key32
    let handshakeKey: Key32
    let isStatic: Bool
    var endpoint: Endpoint?
    /// Other addresses its DHT record lists (local, public): while no session works, each
    /// initiation goes to all of them, and the first to answer becomes `endpoint`.
    var candidates: [Endpoint] = []
    var persistentKeepalive: Duration?
    var foundBy: FoundBy

    /// The relay channel a relay bound for us towards this peer, if any. Packets take it
    /// while the direct path has not shown that it works both ways (`usesRelay`).
    var relay: Path?
    /// The relay node that bound `relay`, once its `bound` message came (a relayed
    /// handshake can arrive first); channels are renewed with it.
    var relayNode: Key32?
    /// When an answer came back directly: the echo of a path probe, or a handshake response.
    /// Either proves that packets get through both ways.
    var directConfirmedAt: Instant?
    var lastProbeAt: Instant?
    /// Guessed addresses of a peer behind an endpoint-dependent NAT (`PortPrediction`): they
    /// get probes too while probing is eager, until a direct path is confirmed.
    var predicted: [Endpoint] = []
    /// Since when the current relay channel is bound: probes go often at first, then rarely.
    var relayBoundAt: Instant?
    /// Whether packets go on `relay` (published in the routing snapshot).
    var usesRelay = false

    /// Set once a certificate verified; routing uses it.
    var link: PeerLink?
    var keys = KeyRing()

    var handshake: HandshakeAttempt = .idle

    /// The newest initiation timestamp accepted from this peer (replay protection).
    var newestInitiation: HandshakePayload?
    var lastInitiationAcceptedAt: Instant?
    var lastHandshakeUnix: UInt64?
    var staged: [[UInt8]] = []
    /// The cookie it gave us under load, for mac2 (`SessionManager+Cookies`).
    var cookie: ReceivedCookie?
    /// mac1 of the last handshake message sent to it: a cookie reply is sealed to it.
    var lastSentMAC1: [UInt8]?
    var lastError: String?
    /// When this node last had a reason of its own to reach the peer (a packet or control
    /// message for it, its record, a punch or a relay): with its traffic, what keeps an
    /// otherwise idle peer from being pruned.
    var lastWantedAt: Instant = .zero

    static let maxStagedPackets = 64

    init(publicKey: Key32, handshakeKey: Key32, isStatic: Bool, endpoint: Endpoint?, persistentKeepalive: Duration?,
         foundBy: FoundBy) {
        self.publicKey = publicKey
        self.handshakeKey = handshakeKey
        self.isStatic = isStatic
        self.foundBy = foundBy
        self.endpoint = endpoint
        self.persistentKeepalive = persistentKeepalive
    }

    /// Every address the peer may be at directly, its endpoint first, each once.
    var directAddresses: [Endpoint] {
        var addresses: [Endpoint] = []
        for e in [endpoint].compactMap({ $0 }) + candidates where !addresses.contains(e) { addresses.append(e) }
        return addresses
    }

    /// Where packets to the peer go now.
    var path: Path? { usesRelay ? relay : endpoint.map(Path.direct) }

    /// Whether the direct path has worked both ways recently: confirmed by an answer, and
    /// used since (any authenticated packet that came directly renews it).
    func trustsDirectPath(at now: Instant) -> Bool {
        guard endpoint != nil, let confirmed = directConfirmedAt else { return false }
        let heard = max(confirmed, Instant(nanoseconds: link?.lastDirectReceived.load(ordering: .relaxed) ?? 0))
        return now.since(heard) < Timing.directTrust
    }

    /// Holds a packet until a session exists, dropping the oldest beyond the bound.
    func stage(_ packet: [UInt8]) -> Bool {
        var dropped = false
        if staged.count >= Self.maxStagedPackets {
            staged.removeFirst()
            dropped = true
        }
        staged.append(packet)
        return !dropped
    }
}
