public import WarrenCrypto
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
    /// Through a relay, or directly to an endpoint on one of this host's networks or not
    /// (when the caller gave the networks).
    public var path: PeerPath?
    public var isStatic: Bool
    public var lastHandshakeUnix: UInt64?
    public var receivedBytes: UInt64
    public var sentBytes: UInt64
    public var receivedPackets: UInt64
    public var sentPackets: UInt64
    public var lastError: String?
}

extension SessionManager {
    /// Every peer, by name (or key). Given the host's own networks, a direct path is named
    /// "LAN" when the peer's endpoint is on one of them and "direct" otherwise.
    public func status(now: Instant, localNetworks: [IPPrefix]? = nil) -> [PeerStatus] {
        peers.values.map { status(of: $0, now: now, localNetworks: localNetworks) }.sorted { ($0.name ?? $0.publicKey) < ($1.name ?? $1.publicKey) }
    }

    /// One peer, as `status` shows it.
    public func status(of publicKey: Key32, now: Instant, localNetworks: [IPPrefix]? = nil) -> PeerStatus? {
        peers[publicKey].map { status(of: $0, now: now, localNetworks: localNetworks) }
    }

    /// The peer a user names by its certificate name or one of its overlay addresses.
    public func peer(named target: String) -> Key32? {
        peers.values.first { peer in
            guard let body = peer.link?.certificate.body else { return false }
            return body.name == target || body.ipv4.address.description == target || body.ipv6.address.description == target
        }?.publicKey
    }

    /// Peers with live keys and a known endpoint, in `status`'s order, with their names: who
    /// a network check may ask.
    public func connectedPeers(now: Instant) -> [(name: String, endpoint: Endpoint)] {
        peers.values.compactMap { peer -> (name: String, endpoint: Endpoint)? in
            guard peer.keys.hasSession(at: now), let endpoint = peer.paths.endpoint else { return nil }
            return (peer.link?.name ?? KeyText.publicKey(peer.publicKey), endpoint)
        }.sorted { $0.name < $1.name }
    }

    private func status(of peer: Peer, now: Instant, localNetworks: [IPPrefix]?) -> PeerStatus {
        let link = peer.link
        let body = link?.certificate.body
        let connected = peer.keys.hasSession(at: now)
        let state: PeerState = connected ? .connected : peer.handshake.isAwaiting ? .handshaking : link != nil ? .idle : .unreachable
        var path = relayedPath(peer)
        if path == nil, let localNetworks, let endpoint = peer.paths.endpoint {
            path = localNetworks.contains { $0.contains(endpoint.address) } ? .lan : .direct
        }
        return PeerStatus(
            name: link?.name, publicKey: KeyText.publicKey(peer.publicKey), endpoint: peer.paths.endpoint?.description,
            addresses: body.map { [$0.ipv4.address.description, $0.ipv6.address.description] } ?? [],
            subnets: body?.subnets.map(\.description) ?? [], roles: body?.roles.names ?? [],
            state: state, foundBy: peer.foundBy.rawValue, path: path, isStatic: peer.isStatic, lastHandshakeUnix: peer.lastHandshakeUnix,
            receivedBytes: link?.receivedBytes.load(ordering: .relaxed) ?? 0,
            sentBytes: link?.sentBytes.load(ordering: .relaxed) ?? 0,
            receivedPackets: link?.receivedPackets.load(ordering: .relaxed) ?? 0,
            sentPackets: link?.sentPackets.load(ordering: .relaxed) ?? 0,
            lastError: peer.lastError)
    }

    public var recentRefusals: [Refusal] { refusals.map(\.refusal) }
}
