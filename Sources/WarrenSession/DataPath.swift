public import WarrenWire

/// The per-packet decisions of the tunnel, as pure functions over a caller's buffer and a
/// routing snapshot: the packet threads do the syscalls, these decide. Nothing allocates.
public enum DataPath {
    /// Where the plaintext goes in an outbound packet buffer: after room for a relay envelope
    /// and the transport header, so either can be written in front of it in place.
    public static let payloadOffset = RelayEnvelope.byteCount + TransportHeader.byteCount
    /// The control kind of a packet a circuit's last hop delivers to this node for a sender
    /// nobody here can know (`AnonymousDelivery` in WarrenCircuit): kind ‖ IPv4 packet.
    public static let anonymousDeliveryKind: UInt8 = 0x08

    public enum Outbound {
        /// Send `buffer[offset..<offset + length]` to `endpoint`.
        case send(offset: Int, length: Int, endpoint: Endpoint, link: PeerLink)
        /// No usable session: hand the packet to the control thread to hold during a handshake.
        case needsSession(PeerLink)
        /// A destination reached through circuits only: hand the packet to the control thread.
        case viaCircuit
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
        if !snapshot.circuitRoutes.isEmpty, snapshot.isCircuitRoute(destination) { return .viaCircuit }
        guard let route = snapshot.route(to: destination) else {
            return .drop(destination.isMulticast ? .multicast : .noRoute)
        }
        return seal(buffer, count: count, for: route, now: now)
    }

    /// Encrypts the message at `buffer[payloadOffset..<payloadOffset + count]` (an IP packet,
    /// or a circuit message a relay passes on) for `route`'s peer, on its current path.
    @inline(__always)
    public static func seal(_ buffer: UnsafeMutableRawBufferPointer, count: Int, for route: RoutingSnapshot.Route,
                            now: Instant) -> Outbound {
        guard let keypair = route.keypair, let path = route.path else { return .needsSession(route.link) }
        return seal(buffer, count: count, on: keypair, along: path, link: route.link, now: now)
    }

    /// Encrypts the message at `buffer[payloadOffset..<payloadOffset + count]` on `keypair`,
    /// along `path`: an answer sent back on the session and the path its request came by
    /// (`Inbound.control`). The peer holds that keypair even while the routes the packet
    /// thread has still lack the session it has just opened.
    @inline(__always)
    public static func seal(_ buffer: UnsafeMutableRawBufferPointer, count: Int, on keypair: Keypair, along path: Path,
                            now: Instant) -> Outbound {
        seal(buffer, count: count, on: keypair, along: path, link: keypair.link, now: now)
    }

    @inline(__always)
    private static func seal(_ buffer: UnsafeMutableRawBufferPointer, count: Int, on keypair: Keypair, along path: Path,
                             link: PeerLink, now: Instant) -> Outbound {
        let datagram = UnsafeMutableRawBufferPointer(rebasing: buffer[RelayEnvelope.byteCount...])
        guard let length = keypair.seal(datagram, payloadCount: count, now: now) else { return .needsSession(link) }
        if keypair.wantsRekey(at: now) {
            link.handshakeWanted.store(true, ordering: .relaxed)
        }
        link.noteSent(bytes: count, isData: true, now: now)
        guard path.isRelayed else {
            return .send(offset: RelayEnvelope.byteCount, length: length, endpoint: path.endpoint, link: link)
        }
        RelayEnvelope.write(channel: path.channel, into: buffer)
        return .send(offset: 0, length: RelayEnvelope.byteCount + length, endpoint: path.endpoint, link: link)
    }

    public enum Inbound {
        /// Write `datagram[offset..<offset + length]` to the TUN device.
        case deliver(offset: Int, length: Int)
        case keepalive
        /// A control message (first byte below 0x40) at `datagram[offset..<offset + length]`
        /// for the control thread; `path` is how it came and `keypair` what it came on, for
        /// an answer that must go back the same way.
        case control(offset: Int, length: Int, link: PeerLink, path: Path, keypair: Keypair)
        /// An answer to a flow this node delivers for a circuit, at
        /// `datagram[offset..<offset + length]`: for the control thread to send back into
        /// the circuit (`RoutingSnapshot.isCircuitAnswer`).
        case circuitAnswer(offset: Int, length: Int, link: PeerLink)
        /// A handshake message (initiation, response or cookie reply) at `datagram[offset...]`
        /// for the control thread.
        case handshake(offset: Int, path: Path)
        /// A STUN message (RFC 8489), sharing the port: for the control thread.
        case stun
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
    /// inner source address must belong to the peer whose keys decrypted it. A relay envelope
    /// addressed to this node (one a relay here would forward never gets here) is opened and
    /// its datagram handled the same way, except that it cannot move the peer's endpoint.
    @inline(__always)
    public static func inbound(_ received: UnsafeMutableRawBufferPointer, from source: Endpoint,
                               snapshot: borrowing RoutingSnapshot, now: Instant,
                               notices: inout Notices) -> Inbound {
        var raw = UnsafeRawBufferPointer(received)
        guard var type = MessageType.classify(raw) else {
            guard MessageType.isSTUN(raw) else { return .drop(.unknownType) }
            return raw.count <= MessageType.maxSTUNByteCount ? .stun : .drop(.malformed)
        }
        var path = Path.direct(source)
        var base = 0
        if type == .relayEnvelope {
            guard let channel = RelayEnvelope.channel(raw) else { return .drop(.malformed) }
            path = Path(endpoint: source, channel: channel)
            base = RelayEnvelope.byteCount
            raw = UnsafeRawBufferPointer(rebasing: raw[base...])
            guard let inner = MessageType.classify(raw) else { return .drop(.malformed) }
            type = inner
        }
        switch type {
        case .transport:
            break
        case .handshakeInitiation, .handshakeResponse, .cookieReply:
            // Real messages are far shorter; a longer one would only cost the control
            // thread a copy.
            let limit = switch type {
            case .handshakeInitiation: HandshakeInitiation.maxByteCount
            case .handshakeResponse: HandshakeResponse.maxByteCount
            default: CookieReply.byteCount
            }
            return raw.count <= limit ? .handshake(offset: base, path: path) : .drop(.malformed)
        case .lanBeacon:
            // Beacons are believed only as multicast, which this socket never receives
            // (`MulticastSocket` does): one here was sent to this node alone.
            return .drop(.unsolicited)
        case .relayEnvelope:
            return .drop(.unknownType)
        }
        let datagram = UnsafeMutableRawBufferPointer(rebasing: received[base...])
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
        if !path.isRelayed {
            link.lastDirectReceived.store(now.nanoseconds, ordering: .relaxed)
            if entry.endpoint != source, !link.roamReported.exchange(true, ordering: .relaxed) {
                notices.roamed = (link, source)
            }
        }
        if length == 0 {
            link.noteReceived(bytes: 0, isData: false, now: now)
            return .keepalive
        }
        let offset = TransportHeader.byteCount
        let plain = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + length])
        if plain[0] == anonymousDeliveryKind, let own = snapshot.anonymousDestination {
            return anonymousDelivery(plain, at: base + offset, from: link, to: own, now: now)
        }
        if plain[0] < 0x40 {
            link.noteReceived(bytes: length, isData: false, now: now)
            return .control(offset: base + offset, length: length, link: link, path: path, keypair: keypair)
        }
        guard let ipLength = IPPacket.totalLength(plain), ipLength >= IPPacket.ipv4HeaderMin, ipLength <= length,
              let inner = IPPacket.source(plain) else { return .drop(.malformed) }
        guard snapshot.accepts(source: inner, from: link) else { return .drop(.sourceNotOwned) }
        guard let destination = IPPacket.destination(plain), snapshot.acceptsDelivery(to: destination) else {
            return .drop(.destinationNotLocal)
        }
        link.noteReceived(bytes: ipLength, isData: true, now: now)
        if snapshot.anonymousPorts != nil, snapshot.isCircuitAnswer(UnsafeRawBufferPointer(rebasing: plain[..<ipLength])) {
            return .circuitAnswer(offset: base + offset, length: ipLength, link: link)
        }
        return .deliver(offset: base + offset, length: ipLength)
    }

    /// A packet a circuit's last hop delivers, at `plain[1...]`, for a node that accepts such
    /// packets. Only a relay is a last hop (any other member would pass its own traffic off
    /// as a stranger's), and the packet must come from the relay's own address (answers go
    /// back there) to this node's.
    @inline(__always)
    static func anonymousDelivery(_ plain: UnsafeRawBufferPointer, at offset: Int, from link: PeerLink, to own: IPv4Address,
                                  now: Instant) -> Inbound {
        guard link.certificate.body.roles.contains(.relay) else { return .drop(.circuitRefused) }
        let packet = UnsafeRawBufferPointer(rebasing: plain[1...])
        guard let ipLength = IPPacket.totalLength(packet), ipLength >= IPPacket.ipv4HeaderMin, ipLength <= packet.count,
              case .v4(let source)? = IPPacket.source(packet), case .v4(source) = link.certificate.body.ipv4.address,
              IPPacket.destination(packet) == .v4(own) else { return .drop(.malformed) }
        link.noteReceived(bytes: ipLength, isData: true, now: now)
        return .deliver(offset: offset + 1, length: ipLength)
    }
}
