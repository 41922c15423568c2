import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

@Suite("A relay's circuits on the inbound thread")
struct LockedCircuitRelayTests {
    let relayNode: Key32
    let sender: Key32
    let onionKey: Key32
    let locked: LockedCircuitRelay
    let now = Instant(nanoseconds: 1_000_000_000)

    init() {
        var rng = SeededRandom(seed: 21)
        relayNode = SigningKey(random: &rng).publicKey
        sender = SigningKey(random: &rng).publicKey
        let ring = OnionKeyRing(now: 1_800_000_000, random: &rng)
        onionKey = ring.published[0].key
        locked = LockedCircuitRelay(CircuitRelay(own: relayNode, onionKeys: ring, random: SeededRandom(seed: 22)))
    }

    func take(_ message: CircuitMessage, from peer: Key32, into actions: inout [CircuitRelay.Action]) -> Bool {
        take(message.encoded, from: peer, into: &actions)
    }

    func take(_ bytes: [UInt8], from peer: Key32, into actions: inout [CircuitRelay.Action]) -> Bool {
        bytes.withUnsafeBytes { locked.take($0, from: peer, now: now, into: &actions) }
    }

    @Test("a create is answered and its circuit's messages are carried, without the control thread")
    func takesItsOwn() throws {
        var rng = SeededRandom(seed: 23)
        let build = try #require(CircuitBuild(path: [CircuitHopSpec(node: relayNode, onionKey: onionKey)], circuitID: 7, random: &rng, now: now))
        var actions: [CircuitRelay.Action] = []
        #expect(take(build.create, from: sender, into: &actions))
        guard case .send(let created, let to)? = actions.first, actions.count == 1 else {
            Issue.record("the create was not answered: \(actions)")
            return
        }
        #expect(to == sender && created.kind == .created)
        _ = build.handle(created, random: &rng)
        #expect(build.isBuilt)

        let packet: [UInt8] = [0x45, 0, 0, 20] + Array(repeating: 1, count: 16)
        var body = packet
        let counter = try #require(build.origin.seal(&body))
        actions = []
        #expect(take(CircuitMessage(kind: .forward, circuitID: 7, counter: counter, body: body), from: sender, into: &actions))
        guard case .leave(let left, let circuit)? = actions.first else {
            Issue.record("the packet did not leave the circuit: \(actions)")
            return
        }
        #expect(left == packet && circuit == CircuitRelay.Link(peer: sender, circuitID: 7))
        #expect(locked.withRelay(\.circuitCount) == 1 && locked.withRelay(\.drops).isEmpty)
    }

    @Test("a sender's own createds and messages back, unknown circuits and malformed bytes are left, uncounted, to the control thread")
    func leavesTheRest() {
        var actions: [CircuitRelay.Action] = []
        let reply = Array(repeating: UInt8(9), count: 64)
        #expect(!take(CircuitMessage(kind: .created, circuitID: 5, body: reply), from: sender, into: &actions))
        #expect(!take(CircuitMessage(kind: .backward, circuitID: 5, counter: 1, body: reply), from: sender, into: &actions))
        #expect(!take(CircuitMessage(kind: .forward, circuitID: 5, counter: 1, body: reply), from: sender, into: &actions))
        #expect(!take([], from: sender, into: &actions))
        #expect(!take([CircuitMessage.controlKind, 1, 0], from: sender, into: &actions))
        #expect(!take([0x01] + Array(CircuitMessage(kind: .create, circuitID: 5, body: reply).encoded.dropFirst()), from: sender,
                      into: &actions))
        #expect(actions.isEmpty && locked.withRelay(\.drops).isEmpty)
    }

    @Test("a create that does not authenticate is taken and counted, and answers nothing")
    func badCreate() {
        var actions: [CircuitRelay.Action] = []
        let forged = CircuitMessage(kind: .create, circuitID: 5, body: Array(repeating: 3, count: 96))
        #expect(take(forged, from: sender, into: &actions))
        #expect(actions.isEmpty && locked.withRelay(\.drops) == [.badHandshake: 1])
    }
}

extension LockedCircuitRelayTests {
    @Test("past a burst of 16, the inbound thread answers 400 creates a second and leaves the rest to the control thread")
    func inlineCreateLimit() throws {
        var rng = SeededRandom(seed: 24)
        let hop = CircuitHopSpec(node: relayNode, onionKey: onionKey)
        func creates(_ count: Int, from first: UInt32, at now: Instant) throws -> Int {
            var taken = 0
            for id in first..<first + UInt32(count) {
                let build = try #require(CircuitBuild(path: [hop], circuitID: id, random: &rng, now: now))
                var actions: [CircuitRelay.Action] = []
                if build.create.encoded.withUnsafeBytes({ locked.take($0, from: sender, now: now, into: &actions) }) {
                    taken += 1
                    #expect(actions.count == 1, "a taken create is answered")
                } else {
                    #expect(actions.isEmpty)
                }
            }
            return taken
        }
        #expect(try creates(20, from: 1, at: now) == 16)
        #expect(try creates(8, from: 100, at: now + .milliseconds(10)) == 4)
        #expect(locked.withRelay(\.circuitCount) == 20 && locked.withRelay(\.drops).isEmpty)
    }
}
