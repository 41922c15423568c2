// CircuitMessage(parsing:), and what a relay and a sender do with a message that decodes: the
// first hop of a fixed 3-hop circuit removes its layer from a forward message or adds it to a
// backward one, and the sender opens a backward one. The circuit's keys come from Noise NK
// handshakes with fixed keys, made once; each input meets a fresh hop and sender state.
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes, with at least one tag of body.
// - A hop removes its layer only from a message the sender sealed (the seeds), and the last
//   hop then reads the sender's payload; the sender opens only what the last hop sent back.
//   Nothing else authenticates, whatever the counter.
// - A hop adds its layer to a message back at most once per counter, growing it by a tag.
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenNoise
import WarrenWire

/// The fixture circuit's layers, as the sender holds them and as each hop holds its own.
nonisolated(unsafe) var senderLayers: [CircuitLayer] = []
nonisolated(unsafe) var hopLayers: [CircuitLayer] = []
nonisolated(unsafe) var genuineForward: [(message: CircuitMessage, payload: [UInt8])] = []
nonisolated(unsafe) var genuineBackward: [(message: CircuitMessage, payload: [UInt8])] = []

func buildLayers() {
    var rng = SeededRandom(seed: 13)
    for _ in 0..<3 {
        let onionKey = X25519PrivateKey(random: &rng)
        let initiator = try! NKInitiator(responderStatic: onionKey.publicKey, prologue: [], ephemeral: X25519PrivateKey(random: &rng), payload: [])
        var reply: [UInt8] = []
        let hop = try! NKResponder(staticKey: onionKey, prologue: [], request: initiator.request)
            .respond(ephemeral: X25519PrivateKey(random: &rng), payload: [], message: &reply)
        senderLayers.append(CircuitLayer(try! initiator.readResponse(reply).takeKeys()))
        hopLayers.append(CircuitLayer(hop.takeKeys()))
    }
}

func freshCircuit() -> (origin: CircuitOrigin, hops: [CircuitHop]) {
    let origin = CircuitOrigin()
    for layer in senderLayers { origin.extend(with: layer) }
    return (origin, hopLayers.map { CircuitHop(layer: $0) })
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    buildLayers()
    let circuit = freshCircuit()
    for payload in [[], [0x45, 0, 0, 20], [UInt8](repeating: 0x60, count: 40)] as [[UInt8]] {
        var body = payload
        let counter = circuit.origin.seal(&body)!
        genuineForward.append((CircuitMessage(direction: .forward, circuitID: 7, counter: counter, body: body), payload))
        body = payload
        var back = circuit.hops[2].originate(&body)!
        back = circuit.hops[1].wrap(back, &body)!
        back = circuit.hops[0].wrap(back, &body)!
        genuineBackward.append((CircuitMessage(direction: .backward, circuitID: 7, counter: back, body: body), payload))
    }
    Fuzz.writeSeedsIfRequested(
        genuineForward.enumerated().map { ("forward-\($0.offset)", $0.element.message.encoded) }
            + genuineBackward.enumerated().map { ("backward-\($0.offset)", $0.element.message.encoded) })
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let message = try? CircuitMessage(parsing: bytes) else { return 0 }
    Fuzz.check(message.encoded == bytes, "circuit message does not re-encode to its input")
    Fuzz.check(message.body.count >= 16, "a body of \(message.body.count) bytes, without a tag")
    let circuit = freshCircuit()
    switch message.direction {
    case .forward:
        var body = message.body
        guard var counter = circuit.hops[0].peel(message.counter, &body) else { return 0 }
        let genuine = genuineForward.first { $0.message.counter == message.counter && $0.message.body == message.body }
        Fuzz.check(genuine != nil, "the first hop removed its layer from a message the sender never sealed")
        for hop in circuit.hops.dropFirst() {
            guard let next = hop.peel(counter, &body) else {
                Fuzz.check(false, "a genuine message dropped by a later hop")
                return 0
            }
            counter = next
        }
        Fuzz.check(body == genuine?.payload, "the last hop read \(body), not the sender's payload")
        var again = message.body
        Fuzz.check(circuit.hops[0].peel(message.counter, &again) == nil, "the first hop took one message twice")
    case .backward:
        var body = message.body
        if circuit.origin.open(message.counter, &body) {
            let genuine = genuineBackward.first { $0.message.counter == message.counter && $0.message.body == message.body }
            Fuzz.check(genuine?.payload == body, "the sender opened a message the last hop never sent")
        }
        var wrapped = message.body
        if let passed = circuit.hops[0].wrap(message.counter, &wrapped) {
            Fuzz.check(wrapped.count == message.body.count + 16, "a layer of \(wrapped.count - message.body.count) bytes")
            Fuzz.check(passed != message.counter, "a counter passed back unchanged")
            var twice = message.body
            Fuzz.check(circuit.hops[0].wrap(message.counter, &twice) == nil, "a hop sealed twice at counter \(message.counter)")
        }
    }
    return 0
}
