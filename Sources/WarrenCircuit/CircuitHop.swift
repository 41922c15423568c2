import Synchronization
import WarrenSession
public import WarrenWire

/// One relay's part in one circuit: it removes its layer from messages towards the last hop
/// and adds it to messages back towards the sender. It knows the hop before and the hop
/// after (the node core keeps those), never the sender or the destination.
///
/// The counter a hop passes on is the one it got plus its offset (`CircuitLayer`). Forward
/// messages authenticate at every hop, so a tampered one dies at the next honest hop. Messages
/// back cannot be checked here (only the sender can); their counters still pass a replay
/// window, so the next hop cannot make this one reuse a nonce.
///
/// Shared by the control thread (`CircuitRelay`) and the inbound packet thread
/// (`CircuitSwitch`): whichever of them a message reaches, one window per direction refuses
/// its replay.
public final class CircuitHop: Sendable {
    private struct Counters: ~Copyable {
        var forward = ReplayWindow()
        var backward = ReplayWindow()
        /// The counter of the next message this hop starts back, as the last hop.
        var nextOwn: UInt64 = 0
    }

    let layer: CircuitLayer
    private let counters = Mutex(Counters())
    /// Monotonic nanoseconds of the last message that passed, either way.
    private let lastActive: Atomic<UInt64>

    public init(layer: CircuitLayer, now: Instant) {
        self.layer = layer
        lastActive = Atomic(now.nanoseconds)
    }

    /// When a message last passed this hop.
    public var lastActiveAt: Instant { Instant(nanoseconds: lastActive.load(ordering: .relaxed)) }

    /// Removes this hop's layer from a message towards the last hop; returns the counter to
    /// pass it on with, or nil if it is forged, tampered with or replayed (drop it).
    public func peel(_ counter: UInt64, _ body: inout [UInt8], now: Instant) -> UInt64? {
        guard let (next, count) = body.withUnsafeMutableBytes({ peel(counter, $0, now: now) }) else { return nil }
        body.removeLast(body.count - count)
        return next
    }

    /// `peel` in place: `body` is the message's whole body, tag included; returns the counter
    /// to pass on and the plaintext's length.
    @inline(__always)
    public func peel(_ counter: UInt64, _ body: UnsafeMutableRawBufferPointer, now: Instant) -> (counter: UInt64, count: Int)? {
        guard counter < CircuitLayer.limit, counters.withLock({ $0.forward.mayAccept(counter) }),
              let count = layer.open(body, nonce: counter, forward: true),
              counters.withLock({ $0.forward.accept(counter) }) else { return nil }
        touch(now)
        return (counter + layer.forwardOffset, count)
    }

    /// Adds this hop's layer to a message the next hop sent back; returns the counter to pass
    /// it back with, or nil if that counter was used before or is too old (drop it).
    public func wrap(_ counter: UInt64, _ body: inout [UInt8], now: Instant) -> UInt64? {
        let count = body.count
        body.append(contentsOf: repeatElement(0, count: CircuitLayer.tagByteCount))
        guard let next = body.withUnsafeMutableBytes({ wrap(counter, $0, count: count, now: now) }) else {
            body.removeLast(CircuitLayer.tagByteCount)
            return nil
        }
        return next
    }

    /// `wrap` in place: `buffer[0..<count]` is the body, with room after it for the tag.
    @inline(__always)
    public func wrap(_ counter: UInt64, _ buffer: UnsafeMutableRawBufferPointer, count: Int, now: Instant) -> UInt64? {
        guard counter < CircuitLayer.limit, counters.withLock({ $0.backward.accept(counter) }) else { return nil }
        layer.seal(buffer, count: count, nonce: counter, forward: false)
        touch(now)
        return counter + layer.backwardOffset
    }

    /// As the last hop, starts a message back to the sender; returns its counter, or nil once
    /// they ran out.
    public func originate(_ body: inout [UInt8], now: Instant) -> UInt64? {
        guard let counter = nextOwnCounter() else { return nil }
        return wrap(counter, &body, now: now)
    }

    /// `originate` in place: `buffer[0..<count]` is the body, with room after it for the tag.
    @inline(__always)
    public func originate(_ buffer: UnsafeMutableRawBufferPointer, count: Int, now: Instant) -> UInt64? {
        guard let counter = nextOwnCounter() else { return nil }
        return wrap(counter, buffer, count: count, now: now)
    }

    private func nextOwnCounter() -> UInt64? {
        counters.withLock { counters -> UInt64? in
            guard counters.nextOwn < CircuitLayer.limit else { return nil }
            defer { counters.nextOwn += 1 }
            return counters.nextOwn
        }
    }

    @inline(__always)
    private func touch(_ now: Instant) {
        lastActive.store(now.nanoseconds, ordering: .relaxed)
    }
}
