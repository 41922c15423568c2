import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

/// What the inbound packet thread does with a message, on a copy of its bytes with room to
/// grow: the rewritten message, or nil if it is not passed on here or was dropped.
private func pass(_ message: CircuitMessage, from peer: Key32, at relay: CircuitRelay, now: Instant) -> (CircuitMessage, to: Key32)? {
    let bytes = message.encoded
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count + CircuitLayer.tagByteCount, alignment: 8)
    defer { buffer.deallocate() }
    bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    guard let exit = relay.circuitSwitch.exit(for: UnsafeRawBufferPointer(buffer), from: peer),
          let count = CircuitSwitch.pass(buffer, count: bytes.count, through: exit, now: now) else { return nil }
    return (try! CircuitMessage(parsing: Array(buffer[..<count])), exit.neighbour)
}

@Suite("Circuit messages passed on by the packet thread")
struct CircuitSwitchTests {
    @Test("the guard and the middle pass messages both ways; the sender and the last hop read them as from the control thread")
    func passesBothWays() throws {
        let net = CircuitNetwork(relays: 3)
        let build = net.build([0, 1, 2])
        #expect(build.isBuilt)
        let (guardNode, middle, last) = (net.order[0], net.order[1], net.order[2])
        #expect(!net.relays[guardNode]!.circuitSwitch.isEmpty && !net.relays[middle]!.circuitSwitch.isEmpty)
        // The last hop's messages leave the circuit or start back: only its control thread can.
        #expect(net.relays[last]!.circuitSwitch.isEmpty)

        let packet: [UInt8] = [0x45, 0, 0, 24] + Array(repeating: 9, count: 20)
        var body = packet
        let counter = build.origin.seal(&body)!
        let sent = CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: counter, body: body)
        let (atMiddle, next) = try #require(pass(sent, from: net.sender, at: net.relays[guardNode]!, now: net.now))
        #expect(next == middle && atMiddle.circuitID != build.circuitID && atMiddle.body.count == body.count - CircuitLayer.tagByteCount)
        let (atLast, after) = try #require(pass(atMiddle, from: guardNode, at: net.relays[middle]!, now: net.now))
        #expect(after == last)
        net.deliver(atLast, from: middle, to: last)
        #expect(net.left.map(\.packet) == [packet])

        // Back: the last hop starts an answer, the middle and the guard add their layers.
        let circuitAtLast = try #require(net.attachedLink(at: last, from: middle))
        guard case .send(let answer, let towards)? = net.relays[last]!.reply([0x45, 0, 0, 4], on: circuitAtLast, now: net.now) else {
            Issue.record("the last hop did not answer")
            return
        }
        #expect(towards == middle)
        let (atGuard, _) = try #require(pass(answer, from: last, at: net.relays[middle]!, now: net.now))
        let (atSender, to) = try #require(pass(atGuard, from: middle, at: net.relays[guardNode]!, now: net.now))
        #expect(to == net.sender && atSender.circuitID == build.circuitID)
        var back = atSender.body
        #expect(build.origin.open(atSender.counter, &back) && CircuitPadding.unpadded(back) == [0x45, 0, 0, 4])
    }

    @Test("a replay is refused whichever thread saw the message first; a tampered one and a kind the link does not carry are not passed")
    func refuses() throws {
        let net = CircuitNetwork(relays: 3)
        let build = net.build([0, 1, 2])
        let relay = net.relays[net.order[0]]!
        var body: [UInt8] = [0x45, 0, 0, 4]
        let message = CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: build.origin.seal(&body)!, body: body)
        #expect(pass(message, from: net.sender, at: relay, now: net.now) != nil)
        #expect(pass(message, from: net.sender, at: relay, now: net.now) == nil)
        var actions: [CircuitRelay.Action] = []
        relay.handle(message, from: net.sender, now: net.now, into: &actions)
        #expect(actions.isEmpty && relay.drops[.badLayer] == 1)

        // First through the control thread, then again through the packet thread.
        var other: [UInt8] = [0x45, 0, 0, 5]
        let second = CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: build.origin.seal(&other)!, body: other)
        relay.handle(second, from: net.sender, now: net.now, into: &actions)
        #expect(actions.count == 1)
        #expect(pass(second, from: net.sender, at: relay, now: net.now) == nil)

        var tampered: [UInt8] = [0x45, 0, 0, 6]
        var bad = CircuitMessage(kind: .forward, circuitID: build.circuitID, counter: build.origin.seal(&tampered)!, body: tampered)
        bad.body[1] ^= 0x40
        #expect(pass(bad, from: net.sender, at: relay, now: net.now) == nil)
        // A backward message on the sender's link, the sender's link from another peer, a create.
        var wrongKind = CircuitMessage(kind: .backward, circuitID: build.circuitID, counter: 90, body: Array(repeating: 1, count: 40))
        #expect(pass(wrongKind, from: net.sender, at: relay, now: net.now) == nil)
        wrongKind.kind = .forward
        #expect(pass(wrongKind, from: net.order[2], at: relay, now: net.now) == nil)
        wrongKind.kind = .create
        #expect(pass(wrongKind, from: net.sender, at: relay, now: net.now) == nil)
    }

    @Test("traffic through the packet thread keeps a circuit alive; an idle one leaves the switch with the relay")
    func expiry() throws {
        let net = CircuitNetwork(relays: 3)
        let busy = net.build([0, 1, 2], circuitID: 1)
        let quiet = net.build([0, 1, 2], circuitID: 2)
        let relay = net.relays[net.order[0]]!
        net.now = net.now + .seconds(200)
        var body: [UInt8] = [0x45]
        let message = CircuitMessage(kind: .forward, circuitID: busy.circuitID, counter: busy.origin.seal(&body)!, body: body)
        #expect(pass(message, from: net.sender, at: relay, now: net.now) != nil)
        net.now = net.now + .seconds(100)
        relay.expire(now: net.now)
        #expect(relay.circuitCount == 1)
        var late: [UInt8] = [0x45]
        let gone = CircuitMessage(kind: .forward, circuitID: quiet.circuitID, counter: quiet.origin.seal(&late)!, body: late)
        #expect(pass(gone, from: net.sender, at: relay, now: net.now) == nil)
    }
}

extension CircuitNetwork {
    /// The link by which `relay` holds the circuit that came from `previous`: what a last hop
    /// answers on.
    func attachedLink(at relay: Key32, from previous: Key32) -> CircuitRelay.Link? {
        wire.last { $0.to == relay && $0.from == previous && $0.message.kind == .create }
            .map { CircuitRelay.Link(peer: previous, circuitID: $0.message.circuitID) }
    }
}
