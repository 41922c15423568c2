import WarrenSession

/// The sender's end of a circuit: it wraps each message in one layer per hop (the last hop's
/// innermost, so each hop can remove only its own) and takes the layers off what comes back.
/// Hops are added one at a time as their handshakes finish (a telescoping build).
///
/// Messages over UDP are lost and reordered, so every layer's nonce is the message's counter
/// and every receiver keeps a replay window, where Tor's in-order relay crypto would stall.
public final class CircuitOrigin {
    public static let maxHops = 8
    /// Forward counters stop here: a circuit lives minutes, and a new one starts again at 0.
    static let maxCounter: UInt64 = 1 << 60

    private(set) var layers: [CircuitLayer] = []
    private var nextCounter: UInt64 = 0
    /// Counters of messages back from the last hop, as the first hop passed them on.
    private var backwardWindow = ReplayWindow()

    public init() {}

    public var hopCount: Int { layers.count }

    /// Adds the next hop's layer once its handshake is done. The new last hop counts its
    /// messages back from 0 like the one before it, and they reach every earlier hop (and
    /// this end) with its offset added: above the few counters the previous last hop used
    /// for its replies while the circuit was built, so the replay windows refuse none of them
    /// (unless the offset is below those few, odds of about 2^-52; a counter seen before is
    /// dropped, never sealed again).
    public func extend(with layer: CircuitLayer) {
        precondition(layers.count < Self.maxHops, "a circuit has at most \(Self.maxHops) hops")
        layers.append(layer)
    }

    /// Encrypts `body` in place for every hop, growing it by a tag per hop; returns the
    /// counter to send it with, or nil once this circuit has used every counter.
    public func seal(_ body: inout [UInt8]) -> UInt64? {
        guard !layers.isEmpty, nextCounter < Self.maxCounter else { return nil }
        let counter = nextCounter
        nextCounter += 1
        // Hop i removes its layer at `counter` plus the offsets of the hops before it.
        var nonce = counter
        for layer in layers.dropLast() { nonce += layer.forwardOffset }
        for i in layers.indices.reversed() {
            layers[i].seal(&body, nonce: nonce, forward: true)
            if i > 0 { nonce -= layers[i - 1].forwardOffset }
        }
        return counter
    }

    /// Takes every layer off a message the last hop sent back; false if it is forged,
    /// tampered with or replayed (drop it).
    public func open(_ counter: UInt64, _ body: inout [UInt8]) -> Bool {
        guard !layers.isEmpty, counter < CircuitLayer.limit, backwardWindow.mayAccept(counter),
              body.count >= layers.count * CircuitLayer.tagByteCount else { return false }
        var nonce = counter
        for layer in layers {
            nonce &-= layer.backwardOffset
            guard layer.open(&body, nonce: nonce, forward: false) else { return false }
        }
        return backwardWindow.accept(counter)
    }
}
