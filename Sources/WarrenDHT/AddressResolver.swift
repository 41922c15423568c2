public import WarrenWire

/// Finds the owner of an overlay address nobody has a route to: the first packet starts a DHT
/// lookup of the address's record, and packets to that address wait in a small bounded
/// queue (oldest dropped first) until the lookup ends or `patience` runs out.
///
/// Sans-I/O: the owner starts the lookups it is told to, and hands back finished ones.
public struct AddressResolver: Sendable {
    public static let maxQueuedPackets = 32
    public static let maxPendingAddresses = 256
    public let patience: Duration

    struct Pending: Sendable {
        var lookupID: UInt32?
        var packets: [[UInt8]]
        let startedAt: Instant
    }

    var pending: [IPv4Address: Pending] = [:]

    public static let defaultPatience: Duration = .seconds(3)

    public init(patience: Duration = defaultPatience) {
        self.patience = patience
    }

    public enum Miss: Equatable, Sendable {
        /// Start a value lookup for `key`, then call `started(_:lookupID:)`.
        case lookUp(key: NodeID)
        /// A lookup is already running; the packet waits.
        case queued
        /// Too many addresses are being looked up; the packet is dropped.
        case dropped
    }

    /// A packet to `address`, which no peer owns.
    public mutating func miss(_ address: IPv4Address, packet: [UInt8], now: Instant) -> Miss {
        if var entry = pending[address] {
            if entry.packets.count >= Self.maxQueuedPackets { entry.packets.removeFirst() }
            entry.packets.append(packet)
            pending[address] = entry
            return .queued
        }
        guard pending.count < Self.maxPendingAddresses else { return .dropped }
        pending[address] = Pending(lookupID: nil, packets: [packet], startedAt: now)
        return .lookUp(key: RecordKey.address(address))
    }

    public mutating func started(_ address: IPv4Address, lookupID: UInt32) {
        pending[address]?.lookupID = lookupID
    }

    /// A lookup ended: the address it was for and the packets that waited, if it was ours.
    public mutating func finished(lookupID: UInt32) -> (address: IPv4Address, packets: [[UInt8]])? {
        guard let (address, entry) = pending.first(where: { $0.value.lookupID == lookupID }) else { return nil }
        pending[address] = nil
        return (address, entry.packets)
    }

    /// Gives up on addresses waited for longer than `patience`; returns their packets.
    public mutating func expire(now: Instant) -> [(address: IPv4Address, packets: [[UInt8]])] {
        let late = pending.filter { now.since($0.value.startedAt) >= patience }
        for address in late.keys { pending[address] = nil }
        return late.map { ($0.key, $0.value.packets) }
    }

    /// When the oldest wait runs out of patience, if anything waits.
    public func nextDeadline() -> Instant? {
        pending.values.map(\.startedAt).min().map { $0 + patience }
    }

    public var pendingCount: Int { pending.count }
}
