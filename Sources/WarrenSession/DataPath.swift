public import WarrenWire

/// The per-packet decisions of the tunnel, as pure functions over a caller's buffer and a
/// routing snapshot: the packet threads do the syscalls, these decide. Nothing allocates.
public enum DataPath {
    /// Where the plaintext goes in a packet buffer: after room for the transport header.
    public static let payloadOffset = TransportHeader.byteCount

    public enum Outbound {
        /// Send `buffer[0..<length]` to `endpoint`.
        case send(length: Int, endpoint: Endpoint, link: PeerLink)
        /// No usable session: hand the packet to the control thread to hold during a handshake.
        case needsSession(PeerLink)
        /// No peer owns the destination.
        case drop(DropReason)
    }

    /// Encrypts the IP packet at `buffer[payloadOffset..<payloadOffset + count]` for the peer
    /// that owns its destination.
    @inline(__always)
    public static func outbound(_ buffer: UnsafeMutableRawBufferPointer, count: Int,
                                snapshot: borrowing RoutingSnapshot, now: Instant) -> Outbound {
        let packet = UnsafeRawBufferPointer(rebasing: buffer[payloadOffset..<payloadOffset + count])
        guard let destination = IPPacket.destination(packet) else { return .drop(.malformed) }
        guard let route = snapshot.route(to: destination) else {
            return .drop(destination.isMulticast ? .multicast : .noRoute)
        }
        guard let keypair = route.keypair, let endpoint = route.endpoint,
              let length = keypair.seal(buffer, payloadCount: count, now: now) else {
            return .needsSession(route.link)
        }
        if keypair.wantsRekey(at: now) {
            route.link.handshakeWanted.store(true, ordering: .relaxed)
        }
        route.link.noteSent(bytes: count, isData: true, now: now)
        return .send(length: length, endpoint: endpoint, link: route.link)
    }

    public enum Inbound {
        /// Write `datagram[payloadOffset..<payloadOffset + length]` to the TUN device.
        case deliver(length: Int)
        case keepalive
        /// A control message (first byte below 0x40) for the control thread.
        case control(length: Int, link: PeerLink)
        /// A handshake message for the control thread.
        case handshake
        /// A STUN message (RFC 8489), sharing the port: for the control thread.
        case stun
        /// A LAN beacon: for the control thread.
        case beacon
        case drop(DropReason)
    }

    /// Things the control thread must hear about after an inbound packet.
    public struct Notices {
        /// A responder keypair's first authenticated packet: it may now be used to send.
        public var confirmed: Keypair?
        /// The peer's packets now come from a new endpoint.
        public var roamed: (link: PeerLink, endpoint: Endpoint)?

        public init() {}
    }

    /// Authenticates and decrypts a datagram in place, then applies the receive rule: the
    /// inner source address must belong to the peer whose keys decrypted it.
    @inline(__always)
    public static func inbound(_ datagram: UnsafeMutableRawBufferPointer, from source: Endpoint,
                               snapshot: borrowing RoutingSnapshot, now: Instant,
                               notices: inout Notices) -> Inbound {
        let raw = UnsafeRawBufferPointer(datagram)
        guard let type = MessageType.classify(raw) else { return MessageType.isSTUN(raw) ? .stun : .drop(.unknownType) }
        switch type {
        case .transport:
            break
        case .handshakeInitiation, .handshakeResponse:
            return .handshake
        case .lanBeacon:
            return .beacon
        case .cookieReply, .relayEnvelope:
            return .drop(.unknownType)
        }
        guard let (index, counter) = TransportHeader.parse(raw) else { return .drop(.malformed) }
        guard let entry = snapshot.inbound(index: index) else { return .drop(.unknownIndex) }
        let keypair = entry.keypair
        let length: Int
        switch keypair.open(datagram, counter: counter, now: now) {
        case .failure(let reason): return .drop(reason)
        case .success(let n): length = n
        }
        let link = keypair.link
        if !keypair.isConfirmed.load(ordering: .relaxed), !keypair.isConfirmed.exchange(true, ordering: .relaxed) {
            notices.confirmed = keypair
        }
        if entry.endpoint != source, !link.roamReported.exchange(true, ordering: .relaxed) {
            notices.roamed = (link, source)
        }
        if length == 0 {
            link.noteReceived(bytes: 0, isData: false, now: now)
            return .keepalive
        }
        let plain = UnsafeRawBufferPointer(rebasing: raw[payloadOffset..<payloadOffset + length])
        if plain[0] < 0x40 {
            link.noteReceived(bytes: length, isData: false, now: now)
            return .control(length: length, link: link)
        }
        guard let ipLength = IPPacket.totalLength(plain), ipLength >= IPPacket.ipv4HeaderMin, ipLength <= length,
              let inner = IPPacket.source(plain) else { return .drop(.malformed) }
        guard link.owns(inner) else { return .drop(.sourceNotOwned) }
        link.noteReceived(bytes: ipLength, isData: true, now: now)
        return .deliver(length: ipLength)
    }
}
