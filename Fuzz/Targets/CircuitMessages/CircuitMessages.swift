// CircuitMessage(parsing:) and CircuitCommand(parsing:), and what a relay and a sender do with
// a message that decodes: the first hop of a fixed 3-hop circuit removes its layer from a
// forward message or adds it to a backward one, the sender opens a backward one, and a fresh
// CircuitRelay takes the message from a neighbour. The circuit's keys come from Noise NK
// handshakes with fixed keys, made once; each input meets fresh hop, sender and relay state.
//
// Invariants:
// - A decoded message re-encodes to exactly the input bytes, with at least one tag of body.
// - A hop removes its layer only from a message the sender sealed (the seeds), and the last
//   hop then reads the sender's payload; the sender opens only what the last hop sent back.
//   Nothing else authenticates, whatever the counter.
// - A hop adds its layer to a message back at most once per counter, growing it by a tag.
// - A relay answers only a create whose NK request is to its onion key (the seed), with a
//   created on the same link; it drops everything else, creating no circuit.
// - A command that decodes re-encodes to exactly its bytes, or, for those padded like
//   packets (cover, attach, probe and its reply), to a prefix of them.
// - The inbound thread's last-hop path (`CircuitEnds.leave`, the first hop standing in for a
//   last hop, no sessions) takes the layer off only a message the sender sealed, and only
//   once; it never delivers without a session, and leaves to others only what is not this
//   circuit's forward message or too big for its room.
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenNoise
import WarrenSession
import WarrenWire

/// The fixture circuit's layers, as the sender holds them and as each hop holds its own.
nonisolated(unsafe) var senderLayers: [CircuitLayer] = []
nonisolated(unsafe) var hopLayers: [CircuitLayer] = []
nonisolated(unsafe) var genuineForward: [(message: CircuitMessage, payload: [UInt8])] = []
nonisolated(unsafe) var genuineBackward: [(message: CircuitMessage, payload: [UInt8])] = []
nonisolated(unsafe) var genuineCreate: CircuitMessage?
let relayNode = Key32(bytes: [UInt8](repeating: 0x11, count: 32))!
let neighbour = Key32(bytes: [UInt8](repeating: 0x22, count: 32))!

func relayOnionKeys() -> OnionKeyRing {
    var rng = SeededRandom(seed: 14)
    return OnionKeyRing(now: 0, random: &rng)
}

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
    return (origin, hopLayers.map { CircuitHop(layer: $0, now: Instant(nanoseconds: 0)) })
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    buildLayers()
    let circuit = freshCircuit()
    for payload in [[], [0x45, 0, 0, 20], [UInt8](repeating: 0x60, count: 40)] as [[UInt8]] {
        var body = payload
        let counter = circuit.origin.seal(&body)!
        genuineForward.append((CircuitMessage(kind: .forward, circuitID: 7, counter: counter, body: body), payload))
        body = payload
        var back = circuit.hops[2].originate(&body, now: Instant(nanoseconds: 0))!
        back = circuit.hops[1].wrap(back, &body, now: Instant(nanoseconds: 0))!
        back = circuit.hops[0].wrap(back, &body, now: Instant(nanoseconds: 0))!
        genuineBackward.append((CircuitMessage(kind: .backward, circuitID: 7, counter: back, body: body), payload))
    }
    var rng = SeededRandom(seed: 15)
    let hop = CircuitHopSpec(node: relayNode, onionKey: relayOnionKeys().published[0].key)
    genuineCreate = CircuitBuild(path: [hop], circuitID: 9, random: &rng, now: Instant(nanoseconds: 0))!.create
    Fuzz.writeSeedsIfRequested(
        genuineForward.enumerated().map { ("forward-\($0.offset)", $0.element.message.encoded) }
            + genuineBackward.enumerated().map { ("backward-\($0.offset)", $0.element.message.encoded) }
            + [("create", genuineCreate!.encoded),
               ("extend", CircuitMessage(kind: .forward, circuitID: 1, counter: 1,
                                         body: CircuitCommand.extend(node: relayNode, request: genuineCreate!.body).encoded).encoded)])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let message = try? CircuitMessage(parsing: bytes) else { return 0 }
    Fuzz.check(message.encoded == bytes, "circuit message does not re-encode to its input")
    Fuzz.check(message.body.count >= 16, "a body of \(message.body.count) bytes, without a tag")
    if let command = try? CircuitCommand(parsing: message.body) {
        let padded: Bool = switch command {
        case .extend, .extended: false
        case .cover, .attach, .probe, .probeReply: true
        }
        let encoded = command.encoded
        Fuzz.check(padded ? message.body.starts(with: encoded) : encoded == message.body, "circuit command does not re-encode to its bytes")
    }

    let relay = CircuitRelay(own: relayNode, onionKeys: relayOnionKeys(), random: SeededRandom(seed: 16))
    var actions: [CircuitRelay.Action] = []
    relay.handle(message, from: neighbour, now: Instant(nanoseconds: 0), into: &actions)
    if message.kind == .create, message.body == genuineCreate?.body {
        Fuzz.check(actions.count == 1 && relay.circuitCount == 1, "the genuine create was not answered")
        if case .send(let created, let to)? = actions.first {
            Fuzz.check(created.kind == .created && created.circuitID == message.circuitID && to == neighbour, "an answer that is no created")
        }
    } else {
        Fuzz.check(actions.isEmpty && relay.circuitCount == 0, "a relay acted on \(message.kind) it had no reason to take")
    }

    checkEnds(message)
    let circuit = freshCircuit()
    switch message.kind {
    case .forward:
        var body = message.body
        guard var counter = circuit.hops[0].peel(message.counter, &body, now: Instant(nanoseconds: 0)) else { return 0 }
        let genuine = genuineForward.first { $0.message.counter == message.counter && $0.message.body == message.body }
        Fuzz.check(genuine != nil, "the first hop removed its layer from a message the sender never sealed")
        for hop in circuit.hops.dropFirst() {
            guard let next = hop.peel(counter, &body, now: Instant(nanoseconds: 0)) else {
                Fuzz.check(false, "a genuine message dropped by a later hop")
                return 0
            }
            counter = next
        }
        Fuzz.check(body == genuine?.payload, "the last hop read \(body), not the sender's payload")
        var again = message.body
        Fuzz.check(circuit.hops[0].peel(message.counter, &again, now: Instant(nanoseconds: 0)) == nil, "the first hop took one message twice")
    case .backward:
        var body = message.body
        if circuit.origin.open(message.counter, &body) {
            let genuine = genuineBackward.first { $0.message.counter == message.counter && $0.message.body == message.body }
            Fuzz.check(genuine?.payload == body, "the sender opened a message the last hop never sent")
        }
        var wrapped = message.body
        if let passed = circuit.hops[0].wrap(message.counter, &wrapped, now: Instant(nanoseconds: 0)) {
            Fuzz.check(wrapped.count == message.body.count + 16, "a layer of \(wrapped.count - message.body.count) bytes")
            Fuzz.check(passed != message.counter, "a counter passed back unchanged")
            var twice = message.body
            Fuzz.check(circuit.hops[0].wrap(message.counter, &twice, now: Instant(nanoseconds: 0)) == nil, "a hop sealed twice at counter \(message.counter)")
        }
    case .create, .created:
        break
    }
    return 0
}

/// Where `CircuitEnds.leave` rewrites and seals a message, as the inbound thread's room.
nonisolated(unsafe) let room = UnsafeMutableRawBufferPointer.allocate(byteCount: DataPath.payloadOffset + 2048, alignment: 64)

/// The message from `neighbour` at a relay where circuit 7 ends with the fixture's first hop.
func checkEnds(_ message: CircuitMessage) {
    let circuit = freshCircuit()
    var ends = CircuitEnds(translations: AnonymousNAT(), ownAddress: IPv4Address(10, 8, 0, 1),
                           network: IPPrefix("10.8.0.0/16")!, padding: .buckets)
    ends.add(CircuitRelay.Link(peer: neighbour, circuitID: 7), hop: circuit.hops[0], token: 1)
    let bytes = message.encoded
    func leave() -> CircuitEnds.Left? {
        bytes.withUnsafeBytes { ends.leave($0, from: neighbour, in: room, snapshot: .empty, now: Instant(nanoseconds: 0)) }
    }
    let genuine = message.kind == .forward && message.circuitID == 7
        && genuineForward.contains { $0.message.counter == message.counter && $0.message.body == message.body }
    switch leave() {
    case nil:
        // Too big for the room: for the control thread, which takes any size.
        let oversized = DataPath.payloadOffset + bytes.count + 16 > room.count
        Fuzz.check(!genuine && (message.kind != .forward || message.circuitID != 7 || oversized), "a message of the circuit was left alone")
    case .deliver?:
        Fuzz.check(false, "delivered without any session")
    case .drop(.circuitLayer)?:
        Fuzz.check(!genuine, "the genuine message's layer did not come off")
    case .forControl?, .drop?:
        Fuzz.check(genuine, "the layer came off a message the sender never sealed")
        if case .drop(.circuitLayer)? = leave() {} else { Fuzz.check(false, "the layer came off one message twice") }
    }
}
