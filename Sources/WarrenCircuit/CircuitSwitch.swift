public import WarrenCrypto
public import WarrenSession
public import WarrenWire

/// A relay's circuits as its inbound packet thread passes their messages on: for each link a
/// message may arrive on, the hop's layer and the link it leaves by. Only circuits that
/// extend past this relay are here, in both directions; creates, extends, what leaves the
/// circuit at its last hop and messages for circuits not here yet go to the control thread
/// (`CircuitRelay`), which keeps this table and publishes a copy whenever it changes.
///
/// Both threads use the same `CircuitHop`, so a message is refused as a replay whichever of
/// them saw it first.
public struct CircuitSwitch: Sendable {
    /// Where messages arriving on one link go.
    public struct Exit: Sendable {
        let hop: CircuitHop
        /// Towards the last hop (the layer comes off), or back towards the sender (it goes on).
        let forward: Bool
        let out: CircuitRelay.Link

        /// The neighbour the message goes to.
        public var neighbour: Key32 { out.peer }
    }

    public static let empty = CircuitSwitch()

    private var exits: [CircuitRelay.Link: Exit] = [:]

    public var isEmpty: Bool { exits.isEmpty }

    mutating func connect(_ circuit: CircuitRelay.Link, towards next: CircuitRelay.Link, hop: CircuitHop) {
        exits[circuit] = Exit(hop: hop, forward: true, out: next)
        exits[next] = Exit(hop: hop, forward: false, out: circuit)
    }

    mutating func disconnect(_ circuit: CircuitRelay.Link, from next: CircuitRelay.Link) {
        exits[circuit] = nil
        exits[next] = nil
    }

    /// Passes the decrypted control message `message` from `peer` on, if it is a message of
    /// a circuit here and the next neighbour has a session: rewritten and sealed for it in
    /// `room` (the message at `DataPath.payloadOffset`, with room for a layer and a tag more).
    /// Nil leaves it, untouched, to the control thread.
    @inline(__always)
    public func pass(_ message: UnsafeRawBufferPointer, from peer: Key32, in room: UnsafeMutableRawBufferPointer,
                     snapshot: borrowing RoutingSnapshot, now: Instant) -> DataPath.Outbound? {
        guard let exit = exit(for: message, from: peer),
              DataPath.payloadOffset + message.count + CircuitLayer.tagByteCount + TransportHeader.tagByteCount <= room.count,
              let route = snapshot.route(toPeer: exit.neighbour), route.keypair != nil, route.path != nil else { return nil }
        let body = UnsafeMutableRawBufferPointer(rebasing: room[DataPath.payloadOffset...])
        body.copyMemory(from: message)
        guard let count = Self.pass(body, count: message.count, through: exit, now: now) else { return .drop(.circuitLayer) }
        let sent = DataPath.seal(room, count: count, for: route, now: now)
        if case .send = sent { return sent }
        // The keypair expired between the check and the seal: lost like any the network drops.
        return .drop(.noSession)
    }

    /// Where the decrypted control message `message` from `peer` goes, if it is a forward or
    /// backward circuit message this relay passes on.
    @inline(__always)
    func exit(for message: UnsafeRawBufferPointer, from peer: Key32) -> Exit? {
        guard !exits.isEmpty, message.count >= CircuitMessage.headerByteCount, message[0] == CircuitMessage.controlKind else {
            return nil
        }
        let kind = message[1]
        guard kind == CircuitMessage.Kind.forward.rawValue || kind == CircuitMessage.Kind.backward.rawValue,
              let exit = exits[CircuitRelay.Link(peer: peer, circuitID: UInt32(bigEndian: message.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))],
              exit.forward == (kind == CircuitMessage.Kind.forward.rawValue) else { return nil }
        return exit
    }

    /// Rewrites the message at `buffer[0..<count]` in place for `exit`: its layer removed
    /// (forward) or added (backward, so `buffer` must have `CircuitLayer.tagByteCount` more
    /// bytes of room), the outgoing link's circuit ID and the next counter. Returns its new
    /// length, or nil if the layer did not authenticate or the counter came before (drop it).
    @inline(__always)
    static func pass(_ buffer: UnsafeMutableRawBufferPointer, count: Int, through exit: Exit, now: Instant) -> Int? {
        let header = CircuitMessage.headerByteCount
        let counter = UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
        let bodyCount: Int
        let next: UInt64
        if exit.forward {
            guard let (peeled, opened) = exit.hop.peel(counter, UnsafeMutableRawBufferPointer(rebasing: buffer[header..<count]), now: now)
            else { return nil }
            (next, bodyCount) = (peeled, opened)
        } else {
            guard count + CircuitLayer.tagByteCount <= buffer.count,
                  let wrapped = exit.hop.wrap(counter, UnsafeMutableRawBufferPointer(rebasing: buffer[header...]), count: count - header, now: now)
            else { return nil }
            (next, bodyCount) = (wrapped, count - header + CircuitLayer.tagByteCount)
        }
        buffer.storeBytes(of: exit.out.circuitID.bigEndian, toByteOffset: 2, as: UInt32.self)
        buffer.storeBytes(of: next.bigEndian, toByteOffset: 6, as: UInt64.self)
        return header + bodyCount
    }
}
