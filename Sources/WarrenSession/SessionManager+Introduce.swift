public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

extension SessionManager {
    /// Makes a node known from a signed record found in the DHT: its certificate (checked
    /// here against our CA and blocklist, as a handshake would) gives the route, and the
    /// record's first endpoint is where the handshake goes. Returns the peer's link, to hold
    /// packets for it, or nil if the certificate is not acceptable.
    public func introduce(certificate unchecked: UncheckedCertificate, endpoints: [Endpoint], now: Moment) -> PeerLink? {
        guard let handshakeKey = Ed25519.x25519PublicKey(from: unchecked.body.publicKey),
              let certificate = try? verifyPeer(unchecked, handshakeKey: handshakeKey, now: now),
              certificate.publicKey != self.certificate.publicKey,
              let peer = peer(for: certificate, handshakeKey: handshakeKey) else { return nil }
        // A session that works keeps its endpoint; a record may be older than what we saw.
        if peer.current == nil || peer.endpoint == nil, let endpoint = endpoints.first { peer.endpoint = endpoint }
        return adopt(certificate, for: peer)
    }
}
