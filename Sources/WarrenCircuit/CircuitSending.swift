public import Synchronization
public import WarrenCrypto
public import WarrenSession
public import WarrenWire

/// A sender's circuits as its packet threads use them: the circuit each flow already on one
/// goes on, and each circuit's end. The outbound thread seals a known flow's packets and
/// sends them to the guard; the inbound thread opens what comes back and hands its packets
/// to the TUN device. A flow's first packet, packets for circuits being replaced and every
/// command go to the control thread (`CircuitPool`), which keeps this table and publishes a
/// copy whenever a flow or circuit comes or goes.
public struct CircuitSending: Sendable {
    /// One built circuit's end and counts, shared by the pool and the packet threads.
    public final class Lane: Sendable {
        let link: CircuitRelay.Link
        let origin: CircuitOrigin
        let traffic = Traffic()

        init(link: CircuitRelay.Link, origin: CircuitOrigin) {
            self.link = link
            self.origin = origin
        }
    }

    /// What went through a circuit, counted by whichever thread sent or received it.
    final class Traffic: Sendable {
        let sentBytes = Atomic<UInt64>(0)
        let receivedBytes = Atomic<UInt64>(0)
        /// Monotonic nanoseconds; zero for never.
        private let lastSentAt = Atomic<UInt64>(0)
        private let lastReceivedAt = Atomic<UInt64>(0)

        var lastSent: Instant? { Self.instant(lastSentAt) }

        var lastReceived: Instant? {
            get { Self.instant(lastReceivedAt) }
            set { lastReceivedAt.store(newValue?.nanoseconds ?? 0, ordering: .relaxed) }
        }

        @inline(__always)
        func sent(_ bytes: Int, now: Instant) {
            sentBytes.add(UInt64(bytes), ordering: .relaxed)
            lastSentAt.store(now.nanoseconds, ordering: .relaxed)
        }

        @inline(__always)
        func received(_ bytes: Int, now: Instant) {
            receivedBytes.add(UInt64(bytes), ordering: .relaxed)
            lastReceivedAt.store(now.nanoseconds, ordering: .relaxed)
        }

        private static func instant(_ value: borrowing Atomic<UInt64>) -> Instant? {
            let nanoseconds = value.load(ordering: .relaxed)
            return nanoseconds == 0 ? nil : Instant(nanoseconds: nanoseconds)
        }
    }

    /// One flow pinned to the circuits of a token, and when it was last used.
    final class Flow: Sendable {
        let token: UInt128
        private let lastUsed: Atomic<UInt64>

        init(token: UInt128, now: Instant) {
            self.token = token
            lastUsed = Atomic(now.nanoseconds)
        }

        var lastUsedAt: Instant { Instant(nanoseconds: lastUsed.load(ordering: .relaxed)) }

        @inline(__always)
        func used(now: Instant) { lastUsed.store(now.nanoseconds, ordering: .relaxed) }
    }

    struct Pinned: Sendable {
        let flow: Flow
        let lane: Lane
    }

    /// What comes back on one of this node's circuits, opened in place by `open`.
    public enum Received {
        /// An IP packet for the TUN device at `message[offset..<offset + length]`, addressed
        /// to this node again.
        case packet(offset: Int, length: Int)
        /// A command (a probe's answer) for the control thread.
        case command([UInt8], circuit: CircuitRelay.Link)
        case drop(DropReason)
    }

    public static let empty = CircuitSending()
    /// The longest circuit message a sender seals: a full packet under eight layers.
    public static let largestMessage = CircuitMessage.headerByteCount + CircuitMessage.circuitMTU
        + CircuitOrigin.maxHops * CircuitLayer.tagByteCount

    var flows: [Int: Pinned] = [:]
    var lanes: [CircuitRelay.Link: Lane] = [:]
    var padding: CircuitPadding = .buckets
    /// This node's overlay address, which packets back are addressed to again.
    var ownAddress = IPv4Address(0)

    /// Seals the IP packet at `buffer[DataPath.payloadOffset..<DataPath.payloadOffset + count]`
    /// for the circuit its flow is on and the guard's session, as `CircuitPool.seal` and the
    /// node core would: from 0.0.0.0, padded, one layer per hop. Nil if this is not for the
    /// packet thread (a new flow, a flow whose circuit is being replaced, a packet too big
    /// or without ports, no session to the guard): the packet is then untouched, for the
    /// control thread.
    @inline(__always)
    public func seal(_ buffer: UnsafeMutableRawBufferPointer, count: Int, snapshot: borrowing RoutingSnapshot,
                     now: Instant) -> DataPath.Outbound? {
        let start = DataPath.payloadOffset
        let header = CircuitMessage.headerByteCount
        guard !flows.isEmpty, count <= CircuitMessage.circuitMTU, buffer.count >= start + Self.largestMessage + TransportHeader.tagByteCount,
              var flow = IPv4Flow(of: UnsafeRawBufferPointer(rebasing: buffer[start..<start + count])) else { return nil }
        // Flows are known by what they look like in the circuit (`Node.sendThroughCircuit`).
        flow.source = IPv4Address(0)
        guard let pinned = flows[flow.hashValue], let route = snapshot.route(toPeer: pinned.lane.link.peer),
              route.keypair != nil, route.path != nil else { return nil }
        // The packet moves back by a header's length, to make room in front for one.
        let body = UnsafeMutableRawBufferPointer(rebasing: buffer[(start + header)...])
        body.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: count)
        flow.write(into: UnsafeMutableRawBufferPointer(rebasing: body[..<count]))
        let padded = padding.paddedCount(count, mtu: CircuitMessage.circuitMTU)
        if padded > count { UnsafeMutableRawBufferPointer(rebasing: body[count..<padded]).initializeMemory(as: UInt8.self, repeating: 0) }
        guard let (counter, sealed) = pinned.lane.origin.seal(body, count: padded) else { return .drop(.circuitRefused) }
        buffer[start] = CircuitMessage.controlKind
        buffer[start + 1] = CircuitMessage.Kind.forward.rawValue
        buffer.storeBytes(of: pinned.lane.link.circuitID.bigEndian, toByteOffset: start + 2, as: UInt32.self)
        buffer.storeBytes(of: counter.bigEndian, toByteOffset: start + 6, as: UInt64.self)
        pinned.flow.used(now: now)
        pinned.lane.traffic.sent(count, now: now)
        let sent = DataPath.seal(buffer, count: header + sealed, for: route, now: now)
        if case .send = sent { return sent }
        // The keypair expired between the check and the seal: the packet is sealed for the
        // circuit already, and lost like any the network drops.
        return .drop(.noSession)
    }

    /// Opens in place the decrypted control message `message` from `peer`, if it comes back
    /// on one of this node's circuits (nil otherwise). A packet must come from a destination
    /// this node routes through circuits (a last hop must not pass off any other member's);
    /// it is readdressed to this node.
    @inline(__always)
    public func open(_ message: UnsafeMutableRawBufferPointer, from peer: Key32, snapshot: borrowing RoutingSnapshot,
                     now: Instant) -> Received? {
        let header = CircuitMessage.headerByteCount
        guard !lanes.isEmpty, message.count >= header, message[0] == CircuitMessage.controlKind,
              message[1] == CircuitMessage.Kind.backward.rawValue,
              let lane = lanes[CircuitRelay.Link(peer: peer, circuitID: UInt32(bigEndian: message.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))]
        else { return nil }
        let counter = UInt64(bigEndian: message.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
        let body = UnsafeMutableRawBufferPointer(rebasing: message[header...])
        guard let opened = lane.origin.open(counter, body) else { return .drop(.circuitLayer) }
        let payload = UnsafeMutableRawBufferPointer(rebasing: body[..<opened])
        guard opened > 0, payload[0] >= 0x40 else {
            lane.traffic.lastReceived = now
            return .command(Array(payload), circuit: lane.link)
        }
        guard let length = CircuitPadding.unpaddedCount(UnsafeRawBufferPointer(payload)),
              var flow = IPv4Flow(of: UnsafeRawBufferPointer(rebasing: payload[..<length])),
              snapshot.isCircuitRoute(.v4(flow.source)) else { return .drop(.circuitRefused) }
        lane.traffic.received(opened, now: now)
        flow.destination = ownAddress
        flow.write(into: UnsafeMutableRawBufferPointer(rebasing: payload[..<length]))
        return .packet(offset: header, length: length)
    }
}
