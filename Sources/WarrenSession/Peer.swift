public import WarrenCrypto
import WarrenNoise
import WarrenNAT
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
    /// Where it is, and whether packets go there directly or through a relay.
    var paths: PathSelector
    var persistentKeepalive: Duration?
    var foundBy: FoundBy

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
        self.paths = PathSelector(endpoint: endpoint)
        self.persistentKeepalive = persistentKeepalive
    }

    /// When an authenticated packet last came from the peer directly (the packet threads
    /// record it).
    var lastDirectReceived: Instant { Instant(nanoseconds: link?.lastDirectReceived.load(ordering: .relaxed) ?? 0) }

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
