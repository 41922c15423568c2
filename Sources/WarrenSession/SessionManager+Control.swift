public import WarrenCrypto
public import WarrenWire

extension SessionManager {
    /// Sends a control message (first byte below 0x40: DHT queries, later path probes and
    /// circuit cells) to the node with `publicKey`, inside a session. With no session yet, the
    /// message waits while a handshake to `endpoint` runs; a node never heard of before is
    /// accepted only if its handshake shows a valid certificate, like any other peer; until
    /// then it is a prospect (see `SessionManager+PeerTable`).
    public func sendControl(_ message: [UInt8], to publicKey: Key32, endpoint: Endpoint?, now: Moment,
                            into actions: inout [SessionAction]) {
        precondition(message.first.map { $0 < 0x40 } ?? false, "control messages start with a byte below 0x40")
        guard publicKey != certificate.publicKey else { return }
        guard let peer = prospect(for: publicKey, foundBy: .dht, now: now.instant) else { return }
        if peer.paths.endpoint == nil, let endpoint { move(peer, to: endpoint) }
        sendOrStage(message, to: peer, now: now, into: &actions)
    }
}
