import WarrenCrypto
import WarrenPKI
public import WarrenWire

/// Where a peer stands, as `warren status` shows it (the JSON keeps these words).
public enum PeerState: String, Codable, Sendable, Equatable {
    /// Live keys, usable now.
    case connected
    /// A handshake is under way.
    case handshaking
    /// Known (its certificate verified) but without live keys.
    case idle
    /// Never reached.
    case unreachable
}

/// One peer as `warren status` shows it.
public struct PeerStatus: Codable, Sendable, Equatable {
    public var name: String?
    public var publicKey: String
    public var endpoint: String?
    public var addresses: [String]
    public var subnets: [String]
    public var roles: [String]
    public var state: PeerState
    /// How its endpoint came to be known (`FoundBy`).
    public var foundBy: String
    /// "relayed via NAME" when packets go through a relay; otherwise "LAN" when the endpoint is
    /// on one of this host's own networks, "direct" if not, which the daemon fills in (it
    /// knows the host's networks).
    public var path: String?
    public var isStatic: Bool
    public var lastHandshakeUnix: UInt64?
    public var receivedBytes: UInt64
    public var sentBytes: UInt64
    public var receivedPackets: UInt64
    public var sentPackets: UInt64
    public var lastError: String?
}

extension SessionManager {
    public func status(now: Instant) -> [PeerStatus] {
        peers.values.map { peer in
            let link = peer.link
            let body = link?.certificate.body
            let connected = peer.current.map { $0.isUsable(at: now) } ?? false
            let state: PeerState = connected ? .connected : peer.pending != nil ? .handshaking : link != nil ? .idle : .unreachable
            return PeerStatus(
                name: link?.name, publicKey: KeyText.publicKey(peer.publicKey), endpoint: peer.endpoint?.description,
                addresses: body.map { [$0.ipv4.address.description, $0.ipv6.address.description] } ?? [],
                subnets: body?.subnets.map(\.description) ?? [], roles: body?.roles.names ?? [],
                state: state, foundBy: peer.foundBy.rawValue, path: relayDescription(peer), isStatic: peer.isStatic, lastHandshakeUnix: peer.lastHandshakeUnix,
                receivedBytes: link?.receivedBytes.load(ordering: .relaxed) ?? 0,
                sentBytes: link?.sentBytes.load(ordering: .relaxed) ?? 0,
                receivedPackets: link?.receivedPackets.load(ordering: .relaxed) ?? 0,
                sentPackets: link?.sentPackets.load(ordering: .relaxed) ?? 0,
                lastError: peer.lastError)
        }.sorted { ($0.name ?? $0.publicKey) < ($1.name ?? $1.publicKey) }
    }

    public var recentRefusals: [Refusal] { refusals }
}
