public import Synchronization
public import WarrenWire

/// What a relay's packet thread needs to forward envelopes: for each channel, where its
/// datagrams must come from (the member it was bound for, as its session with us sees it),
/// where they go, and the channel they go on. The control thread builds it from the
/// `RelayTable` and publishes it whole, like the routing snapshot.
public struct RelayForwarding: Sendable {
    public struct Entry: Sendable {
        public let source: Endpoint
        public let destination: Endpoint
        public let channel: UInt32
        public let counters: RelayCounters
    }

    var entries: [UInt32: Entry] = [:]

    public static let empty = RelayForwarding()

    public var isEmpty: Bool { entries.isEmpty }

    /// If `datagram` is an envelope on one of our channels from the member it belongs to, and
    /// holds a handshake message or a transport packet: rewrites its channel in place and
    /// returns where to send it. Anything else is not for forwarding (nil).
    @inline(__always)
    public func forward(_ datagram: UnsafeMutableRawBufferPointer, from source: Endpoint, now: Instant) -> Endpoint? {
        guard !entries.isEmpty, let channel = RelayEnvelope.channel(UnsafeRawBufferPointer(datagram)),
              let entry = entries[channel], entry.source == source else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: datagram[RelayEnvelope.byteCount...])
        switch MessageType.classify(inner) {
        case .handshakeInitiation?, .handshakeResponse?, .transport?: break
        default: return nil
        }
        RelayEnvelope.write(channel: entry.channel, into: datagram)
        entry.counters.count(bytes: inner.count, now: now)
        return entry.destination
    }
}

/// Traffic on one relay channel, counted by the packet thread without locks.
public final class RelayCounters: Sendable {
    public let packets = Atomic<UInt64>(0)
    public let bytes = Atomic<UInt64>(0)
    /// Monotonic nanoseconds of the last datagram forwarded.
    public let lastUsed = Atomic<UInt64>(0)

    public init() {}

    @inline(__always)
    func count(bytes n: Int, now: Instant) {
        packets.add(1, ordering: .relaxed)
        bytes.add(UInt64(n), ordering: .relaxed)
        lastUsed.store(now.nanoseconds, ordering: .relaxed)
    }
}
