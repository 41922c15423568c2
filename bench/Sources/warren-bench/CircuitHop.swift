import WarrenCircuit
import WarrenCrypto
import WarrenWire

/// One relay's part in forwarding a circuit message, as the control thread does it today:
/// decode the message, remove this hop's layer (`CircuitRelay.handle`), encode what goes on.
/// The sessions' own decryption and encryption on either side are the `inbound` and
/// `outbound` stages.
extension Stages {
    /// A 3-hop circuit built through three in-process relays; the guard is measured.
    final class CircuitFixture {
        let sender = Key32(bytes: Array(repeating: 1, count: 32))!
        var relays: [Key32: CircuitRelay] = [:]
        let guardNode: Key32
        let origin: CircuitOrigin
        let circuitID: UInt32 = 7

        init() {
            var random = SeededRandom(seed: 3)
            var path: [CircuitHopSpec] = []
            for i in 0..<3 {
                let node = Key32(bytes: Array(repeating: UInt8(10 + i), count: 32))!
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
    /// beforehand (each with its own counter), through the guard; returns the bytes it
    /// passed on.
    static func circuitHop(batches: Int) -> Int {
        let fixture = CircuitFixture()
        var packet = ipv4Header(total: packetBytes, protocol: 17) + [UInt8](repeating: 0x5a, count: packetBytes - 20)
        CircuitPadding.buckets.pad(&packet, mtu: CircuitMessage.circuitMTU)
        var forwarded = 0
        for _ in 0..<batches {
            let messages = (0..<batch).map { _ in
                var body = packet
                let counter = fixture.origin.seal(&body)!
                return CircuitMessage(kind: .forward, circuitID: fixture.circuitID, counter: counter, body: body).encoded
            }
            forwarded += measureCircuitHop(messages, relay: fixture.relays[fixture.guardNode]!, from: fixture.sender)
        }
        return forwarded
    }

    @inline(never)
    static func measureCircuitHop(_ messages: [[UInt8]], relay: CircuitRelay, from sender: Key32) -> Int {
        var forwarded = 0
        var actions: [CircuitRelay.Action] = []
        for bytes in messages {
            guard let message = try? CircuitMessage(parsing: bytes) else { fatalError("a sealed message did not parse") }
            relay.handle(message, from: sender, now: .zero, into: &actions)
            for case .send(let next, _) in actions { forwarded += next.encoded.count }
            actions.removeAll(keepingCapacity: true)
        }
        return forwarded
    }
}
