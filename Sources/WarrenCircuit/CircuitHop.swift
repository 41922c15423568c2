import WarrenSession

/// One relay's part in one circuit: it removes its layer from messages towards the last hop
/// and adds it to messages back towards the sender. It knows the hop before and the hop
/// after (the node core keeps those), never the sender or the destination.
///
/// The counter a hop passes on is the one it got plus its offset (`CircuitLayer`). Forward
/// messages authenticate at every hop, so a tampered one dies at the next honest hop. Messages
/// back cannot be checked here (only the sender can); their counters still pass a replay
/// window, so the next hop cannot make this one reuse a nonce.
public final class CircuitHop {
    let layer: CircuitLayer
    private var forwardWindow = ReplayWindow()
    private var backwardWindow = ReplayWindow()
    /// The counter of the next message this hop starts back, as the last hop.
    private var nextOwnCounter: UInt64 = 0

    public init(layer: CircuitLayer) {
        self.layer = layer
    }

    /// Removes this hop's layer from a message towards the last hop; returns the counter to
    /// pass it on with, or nil if it is forged, tampered with or replayed (drop it).
    public func peel(_ counter: UInt64, _ body: inout [UInt8]) -> UInt64? {
        guard counter < CircuitLayer.limit, forwardWindow.mayAccept(counter), body.count >= CircuitLayer.tagByteCount,
              layer.open(&body, nonce: counter, forward: true), forwardWindow.accept(counter) else { return nil }
        return counter + layer.forwardOffset
    }

    /// Adds this hop's layer to a message the next hop sent back; returns the counter to pass
    /// it back with, or nil if that counter was used before or is too old (drop it).
    public func wrap(_ counter: UInt64, _ body: inout [UInt8]) -> UInt64? {
        guard counter < CircuitLayer.limit, backwardWindow.accept(counter) else { return nil }
        layer.seal(&body, nonce: counter, forward: false)
        return counter + layer.backwardOffset
    }

    /// As the last hop, starts a message back to the sender; returns its counter, or nil once
    /// they ran out.
    public func originate(_ body: inout [UInt8]) -> UInt64? {
        let counter = nextOwnCounter
        guard counter < CircuitLayer.limit else { return nil }
        nextOwnCounter += 1
        return wrap(counter, &body)
    }
}
