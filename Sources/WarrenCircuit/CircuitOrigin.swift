import Synchronization
import WarrenSession

/// The sender's end of a circuit: it wraps each message in one layer per hop (the last hop's
/// innermost, so each hop can remove only its own) and takes the layers off what comes back.
/// Hops are added one at a time as their handshakes finish (a telescoping build).
///
/// Messages over UDP are lost and reordered, so every layer's nonce is the message's counter
/// and every receiver keeps a replay window, where Tor's in-order relay crypto would stall.
///
/// Once built, it is shared by the control thread (`CircuitPool`: commands, a flow's first
/// packet) and the packet threads (`CircuitSending`): its counter and window are locked, the
/// work is done outside the lock.
public final class CircuitOrigin: Sendable {
    public static let maxHops = 8
    /// Forward counters stop here: a circuit lives minutes, and a new one starts again at 0.
    static let maxCounter: UInt64 = 1 << 60

    private struct State: ~Copyable {
        var layers: [CircuitLayer] = []
        var nextCounter: UInt64 = 0
        /// Counters of messages back from the last hop, as the first hop passed them on.
        var backwardWindow = ReplayWindow()
    }

    private let state = Mutex(State())

    public init() {}

    public var hopCount: Int { state.withLock { $0.layers.count } }

    /// Adds the next hop's layer once its handshake is done. The new last hop counts its
    /// messages back from 0 like the one before it, and they reach every earlier hop (and
    /// this end) with its offset added: above the few counters the previous last hop used
    /// for its replies while the circuit was built, so the replay windows refuse none of them
    /// (unless the offset is below those few, odds of about 2^-52; a counter seen before is
    /// dropped, never sealed again).
    public func extend(with layer: CircuitLayer) {
        state.withLock { state in
            precondition(state.layers.count < Self.maxHops, "a circuit has at most \(Self.maxHops) hops")
            state.layers.append(layer)
        }
    }

    /// Encrypts `body` in place for every hop, growing it by a tag per hop; returns the
    /// counter to send it with, or nil once this circuit has used every counter.
    public func seal(_ body: inout [UInt8]) -> UInt64? {
        let count = body.count
        body.append(contentsOf: repeatElement(0, count: hopCount * CircuitLayer.tagByteCount))
        guard let (counter, _) = body.withUnsafeMutableBytes({ seal($0, count: count) }) else {
            body.removeLast(body.count - count)
            return nil
        }
        return counter
    }

    /// `seal` in place: `buffer[0..<count]` is the body, with room after it for a tag per
    /// hop. Returns the counter and the sealed length.
    @inline(__always)
    public func seal(_ buffer: UnsafeMutableRawBufferPointer, count: Int) -> (counter: UInt64, count: Int)? {
        let taken = state.withLock { state -> ([CircuitLayer], UInt64)? in
            guard !state.layers.isEmpty, state.nextCounter < Self.maxCounter,
                  count + state.layers.count * CircuitLayer.tagByteCount <= buffer.count else { return nil }
            defer { state.nextCounter += 1 }
            return (state.layers, state.nextCounter)
        }
        guard let (layers, counter) = taken else { return nil }
        // Hop i removes its layer at `counter` plus the offsets of the hops before it.
        var nonce = counter
        for layer in layers.dropLast() { nonce += layer.forwardOffset }
        var sealed = count
        for i in layers.indices.reversed() {
            layers[i].seal(buffer, count: sealed, nonce: nonce, forward: true)
            sealed += CircuitLayer.tagByteCount
            if i > 0 { nonce -= layers[i - 1].forwardOffset }
        }
        return (counter, sealed)
    }

    /// Takes every layer off a message the last hop sent back; false if it is forged,
    /// tampered with or replayed (drop it).
    public func open(_ counter: UInt64, _ body: inout [UInt8]) -> Bool {
        guard let count = body.withUnsafeMutableBytes({ open(counter, $0) }) else { return false }
        body.removeLast(body.count - count)
        return true
    }

    /// `open` in place; the plaintext's length.
    @inline(__always)
    public func open(_ counter: UInt64, _ body: UnsafeMutableRawBufferPointer) -> Int? {
        let layers = state.withLock { state -> [CircuitLayer]? in
            guard !state.layers.isEmpty, counter < CircuitLayer.limit, state.backwardWindow.mayAccept(counter) else { return nil }
            return state.layers
        }
        guard let layers, body.count >= layers.count * CircuitLayer.tagByteCount else { return nil }
        var nonce = counter
        var count = body.count
        for layer in layers {
            nonce &-= layer.backwardOffset
            guard let opened = layer.open(UnsafeMutableRawBufferPointer(rebasing: body[..<count]), nonce: nonce, forward: false) else {
                return nil
            }
            count = opened
        }
        return state.withLock { $0.backwardWindow.accept(counter) } ? count : nil
    }
}
