import Synchronization
import WarrenCircuit
import WarrenLinux
import WarrenNode
import WarrenSession
import WarrenWire

extension ControlEvent {
    /// Whether the event comes from this host or from a peer whose packet authenticated, as
    /// opposed to anyone at all (a handshake, STUN).
    var isAuthenticated: Bool {
        switch self {
        case .handshake, .stun: false
        case .hold, .confirmed, .roamed, .control, .unroutable, .viaCircuit, .circuitCommand, .leftCircuit, .relayActions,
             .circuitAnswer: true
        }
    }

    /// An event's bookkeeping, besides the bytes it holds.
    static let overheadBytes = 64

    /// What the event holds in memory, roughly: its bytes and its bookkeeping.
    var costBytes: Int {
        let overhead = Self.overheadBytes
        switch self {
        case .handshake(let bytes, _), .stun(let bytes, _), .hold(let bytes, _),
             .control(let bytes, _, _), .unroutable(_, let bytes), .viaCircuit(let bytes), .circuitCommand(let bytes, _), .leftCircuit(let bytes, _),
             .circuitAnswer(let bytes, _):
            return overhead + bytes.count
        case .confirmed, .roamed: return overhead
        case .relayActions(let relayActions): return overhead + relayActions.reduce(0) { $0 + $1.costBytes }
        }
    }
}

private extension CircuitRelay.Action {
    /// The bytes it holds.
    var costBytes: Int {
        switch self {
        case .send(let message, _): CircuitMessage.headerByteCount + message.body.count
        case .leave(let packet, _): packet.count
        case .attach: 0
        }
    }
}

/// A bounded queue from the packet threads to the control thread, with an eventfd so the
/// control thread's poller wakes when something arrives. It has two lanes, each bounded by
/// bytes: what authenticated peers and this host sent, and what anyone may send. A flood of
/// handshakes fills only its own lane, whose events are dropped and counted when full, and
/// the control thread hears the authenticated lane first.
final class ControlQueue: Sendable {
    static let authenticatedBytes = 16 << 20
    static let unauthenticatedBytes = 1 << 20

    private struct Lane {
        let limitBytes: Int
        var events: [ControlEvent] = []
        var bytes = 0

        /// Appends `event` unless that would pass the limit.
        mutating func append(_ event: ControlEvent) -> Bool {
            let cost = event.costBytes
            guard bytes + cost <= limitBytes else { return false }
            events.append(event)
            bytes += cost
            return true
        }

        mutating func take() -> [ControlEvent] {
            defer {
                events.removeAll(keepingCapacity: true)
                bytes = 0
            }
            return events
        }
    }

    private struct Lanes {
        var authenticated = Lane(limitBytes: ControlQueue.authenticatedBytes)
        var unauthenticated = Lane(limitBytes: ControlQueue.unauthenticatedBytes)
        var isEmpty: Bool { authenticated.events.isEmpty && unauthenticated.events.isEmpty }
    }

    private let lanes = Mutex(Lanes())
    let wakeup: EventFD
    let drops: DropCounters

    init(drops: DropCounters) throws(SystemError) {
        wakeup = try EventFD()
        self.drops = drops
    }

    /// Queues `event` and wakes the control thread if it may be asleep.
    func post(_ event: ControlEvent) {
        if enqueue(event) { wake() }
    }

    /// Queues `event` (or counts it dropped when its lane is full) without waking anyone;
    /// true when the queue was empty, so the control thread may be asleep and needs `wake()`.
    /// The inbound thread wakes it once per received batch rather than once per event: a
    /// flood of handshakes then costs no eventfd write and context switch each.
    func enqueue(_ event: ControlEvent) -> Bool {
        let wasEmpty: Bool? = lanes.withLock { lanes in
            let wasEmpty = lanes.isEmpty
            let added = event.isAuthenticated ? lanes.authenticated.append(event) : lanes.unauthenticated.append(event)
            return added ? wasEmpty : nil
        }
        guard let wasEmpty else {
            drops.count(.queueFull)
            return false
        }
        return wasEmpty
    }

    func wake() {
        try? wakeup.signal()
    }

    /// Whether an unauthenticated event of `byteCount` bytes would fit now: checked before the
    /// packet thread copies a datagram, so a flood that finds the lane full costs no copy. (A
    /// post may still find it full, if the lane filled in between; it is counted then.)
    func hasRoom(forUnauthenticated byteCount: Int) -> Bool {
        lanes.withLock { $0.unauthenticated.bytes + ControlEvent.overheadBytes + byteCount <= $0.unauthenticated.limitBytes }
    }

    /// How many events from anyone (handshakes, STUN) wait for the control thread.
    var unauthenticatedBacklog: Int {
        lanes.withLock { $0.unauthenticated.events.count }
    }

    /// Everything queued, authenticated events first.
    func drain() -> [ControlEvent] {
        _ = try? wakeup.drain()
        return lanes.withLock { $0.authenticated.take() + $0.unauthenticated.take() }
    }
}
