import WarrenCircuit
import WarrenCrypto
import WarrenSession
import WarrenWire

/// One relay's part in passing a circuit message on, as its inbound packet thread does it
/// (`CircuitSwitch.pass`): copy the decrypted message into a room, remove this hop's layer,
/// rewrite its circuit ID and counter, and seal it for the next hop's session. The session's
/// decryption on the way in is the `inbound` stage.
extension Stages {
    /// A 3-hop circuit built through three in-process relays, the middle one `middle` (the
    /// peer a session fixture's snapshot routes to); the guard is measured.
    final class CircuitFixture {
        let sender = Key32(bytes: Array(repeating: 1, count: 32))!
        var relays: [Key32: CircuitRelay] = [:]
        let guardNode: Key32
        let origin: CircuitOrigin
        let circuitID: UInt32 = 7

        init(middle: Key32) {
            var random = SeededRandom(seed: 3)
            var path: [CircuitHopSpec] = []
            for i in 0..<3 {
                let node = i == 1 ? middle : Key32(bytes: Array(repeating: UInt8(10 + i), count: 32))!
                let ring = OnionKeyRing(now: 1_800_000_000, random: &random)
                path.append(CircuitHopSpec(node: node, onionKey: ring.published[0].key))
                relays[node] = CircuitRelay(own: node, onionKeys: ring, random: SeededRandom(seed: UInt64(20 + i)))
            }
            guardNode = path[0].node
            let build = CircuitBuild(path: path, circuitID: circuitID, random: &random, now: .zero)!
            var toGuard = [build.create]
            while let message = toGuard.popLast() {
                for reply in Self.deliver(message, from: sender, to: guardNode, relays: relays) {
                    if case .send(let next) = build.handle(reply, random: &random) { toGuard.append(next) }
                }
            }
            precondition(build.isBuilt, "the benchmark's circuit was not built")
            origin = build.origin
        }

        /// Delivers `message` and everything it causes among the relays; returns what came
        /// back to the sender.
        static func deliver(_ message: CircuitMessage, from: Key32, to: Key32, relays: [Key32: CircuitRelay]) -> [CircuitMessage] {
            var queue = [(from, to, message)], back: [CircuitMessage] = []
            while !queue.isEmpty {
                let (from, to, message) = queue.removeFirst()
                guard let relay = relays[to] else {
                    back.append(message)
                    continue
                }
                var actions: [CircuitRelay.Action] = []
                relay.handle(message, from: from, now: .zero, into: &actions)
                for case .send(let next, let peer) in actions { queue.append((to, peer, next)) }
            }
            return back
        }
    }

    /// `batches` × 64 forward messages of 1400-byte packets, sealed for the three hops
    /// beforehand (each with its own counter), through the guard to the middle over alice's
    /// session with bob; returns the bytes of the datagrams it sealed.
    static func circuitHop(_ pair: Pair, batches: Int) -> Int {
        let fixture = CircuitFixture(middle: pair.bob.certificate.publicKey)
        var packet = ipv4Header(total: packetBytes, protocol: 17) + [UInt8](repeating: 0x5a, count: packetBytes - 20)
        CircuitPadding.buckets.pad(&packet, mtu: CircuitMessage.circuitMTU)
        let room = UnsafeMutableRawBufferPointer.allocate(byteCount: DataPath.payloadOffset + 2048, alignment: 64)
        defer { room.deallocate() }
        var forwarded = 0
        for _ in 0..<batches {
            let messages = (0..<batch).map { _ in
                var body = packet
                let counter = fixture.origin.seal(&body)!
                return CircuitMessage(kind: .forward, circuitID: fixture.circuitID, counter: counter, body: body).encoded
            }
            forwarded += measureCircuitHop(messages, through: fixture.relays[fixture.guardNode]!.circuitSwitch, from: fixture.sender,
                                           room: room, snapshot: pair.aliceSnapshot, now: pair.now.instant)
        }
        return forwarded
    }

    @inline(never)
    static func measureCircuitHop(_ messages: [[UInt8]], through circuits: CircuitSwitch, from sender: Key32,
                                  room: UnsafeMutableRawBufferPointer, snapshot: RoutingSnapshot, now: Instant) -> Int {
        var forwarded = 0
        for bytes in messages {
            let passed = bytes.withUnsafeBytes { circuits.pass($0, from: sender, in: room, snapshot: snapshot, now: now) }
            guard case .send(_, let length, _, _)? = passed else { fatalError("the guard did not pass a message on") }
            forwarded += length
        }
        return forwarded
    }
}
