public import WarrenCrypto
public import WarrenSession
public import WarrenWire

/// A relay's circuits that end here, as its inbound packet thread delivers what they carry
/// and sends the answers back: for each, the hop's layer and the token its sender attached,
/// and the translations (`AnonymousNAT`) of the flows already under way. A flow's first
/// packet, every command and anything to a destination without a session go to the control
/// thread (the node core), which keeps what this copies and publishes it anew whenever a
/// circuit, token or translation comes or goes.
public struct CircuitEnds: Sendable {
    struct End: Sendable {
        let hop: CircuitHop
        let token: UInt128
    }

    /// What the inbound thread does with a message on a circuit that ends here.
    public enum Left {
        /// The packet, translated and sealed for its destination's session.
        case deliver(DataPath.Outbound)
        /// What the layer covered, for the control thread: a command, or a packet it must
        /// translate first or find the destination of.
        case forControl([UInt8], circuit: CircuitRelay.Link)
        case drop(DropReason)
    }

    public static let empty = CircuitEnds()

    var ends: [CircuitRelay.Link: End] = [:]
    var circuits: [UInt128: CircuitRelay.Link] = [:]
    var translations = AnonymousNAT()
    var ownAddress = IPv4Address(0)
    /// The mesh's IPv4 network: the only destinations a last hop delivers to.
    var network = IPPrefix(address: .v4(IPv4Address(0)), length: 32)!
    var padding: CircuitPadding = .buckets

    public init() {}

    public init(translations: AnonymousNAT, ownAddress: IPv4Address, network: IPPrefix, padding: CircuitPadding) {
        self.translations = translations
        self.ownAddress = ownAddress
        self.network = network
        self.padding = padding
    }

    public var isEmpty: Bool { ends.isEmpty }

    /// `circuit` ends here with `hop`, and its sender attached `token` to it.
    public mutating func add(_ circuit: CircuitRelay.Link, hop: CircuitHop, token: UInt128) {
        ends[circuit] = End(hop: hop, token: token)
        circuits[token] = circuit
    }

    /// Takes the layer off the decrypted control message `message` from `peer`, if it comes
    /// forward on a circuit that ends here, and delivers the packet it carries as the node
    /// core would (`Node.deliverAnonymously`): translated, as an `AnonymousDelivery`, sealed
    /// in `room` for its destination's session. Nil for a message that is not this table's
    /// (untouched, for the control thread).
    @inline(__always)
    public func leave(_ message: UnsafeRawBufferPointer, from peer: Key32, in room: UnsafeMutableRawBufferPointer,
                      snapshot: borrowing RoutingSnapshot, now: Instant) -> Left? {
        let header = CircuitMessage.headerByteCount
        guard !ends.isEmpty, message.count >= header, message[0] == CircuitMessage.controlKind,
              message[1] == CircuitMessage.Kind.forward.rawValue,
              room.count >= DataPath.payloadOffset + message.count + TransportHeader.tagByteCount else { return nil }
        let circuit = CircuitRelay.Link(peer: peer, circuitID: UInt32(bigEndian: message.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        guard let end = ends[circuit] else { return nil }
        // The body lands one byte past `payloadOffset`, where the delivery's kind goes.
        let start = DataPath.payloadOffset + 1
        let body = UnsafeMutableRawBufferPointer(rebasing: room[start..<start + message.count - header])
        body.copyMemory(from: UnsafeRawBufferPointer(rebasing: message[header...]))
        let counter = UInt64(bigEndian: message.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
        guard let (_, opened) = end.hop.peel(counter, body, now: now) else { return .drop(.circuitLayer) }
        let payload = UnsafeMutableRawBufferPointer(rebasing: body[..<opened])
        guard opened > 0, payload[0] >= 0x40 else { return .forControl(Array(payload), circuit: circuit) }
        guard let length = CircuitPadding.unpaddedCount(UnsafeRawBufferPointer(payload)),
              let flow = IPv4Flow(of: UnsafeRawBufferPointer(rebasing: payload[..<length])),
              flow.destination != ownAddress, network.contains(.v4(flow.destination)) else { return .drop(.circuitRefused) }
        let packet = UnsafeMutableRawBufferPointer(rebasing: payload[..<length])
        guard let route = snapshot.route(to: .v4(flow.destination)), route.keypair != nil, route.path != nil,
              translations.translateOut(packet, token: end.token, own: ownAddress, now: now) != nil else {
            return .forControl(Array(packet), circuit: circuit)
        }
        room[DataPath.payloadOffset] = DataPath.anonymousDeliveryKind
        let sent = DataPath.seal(room, count: 1 + length, for: route, now: now)
        if case .send = sent { return .deliver(sent) }
        // The keypair expired between the check and the seal: lost like any the network drops.
        return .drop(.noSession)
    }

    /// An answer to a flow a circuit that ends here delivered (`RoutingSnapshot.isCircuitAnswer`),
    /// translated back and sent into its circuit as `CircuitRelay.reply` would: padded, under
    /// this hop's layer, sealed in `room` for the previous hop's session. Nil leaves it to
    /// the control thread.
    @inline(__always)
    public func answer(_ packet: UnsafeRawBufferPointer, in room: UnsafeMutableRawBufferPointer,
                       snapshot: borrowing RoutingSnapshot, now: Instant) -> DataPath.Outbound? {
        let header = CircuitMessage.headerByteCount
        let start = DataPath.payloadOffset + header
        guard !ends.isEmpty, packet.count <= CircuitMessage.circuitMTU,
              room.count >= start + CircuitMessage.circuitMTU + CircuitLayer.tagByteCount + TransportHeader.tagByteCount else {
            return nil
        }
        let body = UnsafeMutableRawBufferPointer(rebasing: room[start...])
        body.copyMemory(from: packet)
        guard let token = translations.translateIn(UnsafeMutableRawBufferPointer(rebasing: body[..<packet.count]), now: now),
              let circuit = circuits[token], let end = ends[circuit],
              let route = snapshot.route(toPeer: circuit.peer), route.keypair != nil, route.path != nil else { return nil }
        let padded = padding.paddedCount(packet.count, mtu: CircuitMessage.circuitMTU)
        if padded > packet.count {
            UnsafeMutableRawBufferPointer(rebasing: body[packet.count..<padded]).initializeMemory(as: UInt8.self, repeating: 0)
        }
        guard let counter = end.hop.originate(body, count: padded, now: now) else { return .drop(.circuitRefused) }
        let at = DataPath.payloadOffset
        room[at] = CircuitMessage.controlKind
        room[at + 1] = CircuitMessage.Kind.backward.rawValue
        room.storeBytes(of: circuit.circuitID.bigEndian, toByteOffset: at + 2, as: UInt32.self)
        room.storeBytes(of: counter.bigEndian, toByteOffset: at + 6, as: UInt64.self)
        let sent = DataPath.seal(room, count: header + padded + CircuitLayer.tagByteCount, for: route, now: now)
        if case .send = sent { return sent }
        return .drop(.noSession)
    }
}
