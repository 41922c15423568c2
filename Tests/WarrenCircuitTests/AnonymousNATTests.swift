import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

@Suite("Anonymous delivery's translation")
struct AnonymousNATTests {
    static let own = IPv4Address(10, 8, 0, 3)
    static let destination = IPv4Address(10, 8, 0, 40)
    static let circuitA: UInt128 = 0xa
    static let circuitB: UInt128 = 0xb
    let now = Instant(nanoseconds: 5_000_000_000)

    /// A UDP packet as a sender puts it in a circuit: from 0.0.0.0.
    static func udp(sourcePort: UInt16, to destination: IPv4Address = destination, destinationPort: UInt16 = 53) -> [UInt8] {
        var p: [UInt8] = [0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0] + IPv4Address(0).bytes + destination.bytes
        p += [0, 0, 0, 0, 0, 12, 0, 0, 1, 2, 3, 4]
        var flow = IPv4Flow(of: p)!
        flow.sourcePort = sourcePort
        flow.destinationPort = destinationPort
        flow.write(into: &p)
        return p
    }

    /// The destination's answer to `packet` (as the last hop sent it on).
    static func answer(to packet: [UInt8]) -> [UInt8] {
        var reply = packet
        var flow = IPv4Flow(of: packet)!
        swap(&flow.source, &flow.destination)
        swap(&flow.sourcePort, &flow.destinationPort)
        flow.write(into: &reply)
        return reply
    }

    @Test("a flow leaves from the last hop's address and a port of the range, and its answers map back")
    func roundTrip() throws {
        var nat = AnonymousNAT()
        var random = SeededRandom(seed: 1)
        var out = Self.udp(sourcePort: 5000)
        #expect(nat.outbound(&out, token: Self.circuitA, own: Self.own, now: now, random: &random) == Self.destination)
        let sent = try #require(IPv4Flow(of: out))
        #expect(sent.source == Self.own && AnonymousNAT.ports.contains(sent.sourcePort) && sent.destinationPort == 53)
        var again = Self.udp(sourcePort: 5000)
        _ = nat.outbound(&again, token: Self.circuitA, own: Self.own, now: now, random: &random)
        #expect(IPv4Flow(of: again)?.sourcePort == sent.sourcePort, "one flow, one port")

        var back = Self.answer(to: out)
        #expect(nat.inbound(&back, now: now) == Self.circuitA)
        let returned = try #require(IPv4Flow(of: back))
        #expect(returned.destination == IPv4Address(0) && returned.destinationPort == 5000 && returned.source == Self.destination)
    }

    @Test("two tokens' flows with the same port get different ones, and each answer goes to its own token")
    func twoCircuits() throws {
        var nat = AnonymousNAT()
        var random = SeededRandom(seed: 2)
        var first = Self.udp(sourcePort: 5000), second = Self.udp(sourcePort: 5000)
        _ = nat.outbound(&first, token: Self.circuitA, own: Self.own, now: now, random: &random)
        _ = nat.outbound(&second, token: Self.circuitB, own: Self.own, now: now, random: &random)
        #expect(IPv4Flow(of: first)?.sourcePort != IPv4Flow(of: second)?.sourcePort)
        var answerA = Self.answer(to: first), answerB = Self.answer(to: second)
        #expect(nat.inbound(&answerB, now: now) == Self.circuitB)
        #expect(nat.inbound(&answerA, now: now) == Self.circuitA)
    }

    @Test("answers from another host, to a port no flow has, or that are requests map to nothing")
    func strays() throws {
        var nat = AnonymousNAT()
        var random = SeededRandom(seed: 3)
        var out = Self.udp(sourcePort: 5000)
        _ = nat.outbound(&out, token: Self.circuitA, own: Self.own, now: now, random: &random)
        var fromElsewhere = Self.answer(to: out)
        var flow = IPv4Flow(of: fromElsewhere)!
        flow.source = IPv4Address(10, 8, 0, 41)
        flow.write(into: &fromElsewhere)
        #expect(nat.inbound(&fromElsewhere, now: now) == nil)
        var otherPort = Self.answer(to: out)
        flow = IPv4Flow(of: otherPort)!
        flow.destinationPort = flow.destinationPort == 61_000 ? 61_001 : 61_000
        flow.write(into: &otherPort)
        #expect(nat.inbound(&otherPort, now: now) == nil)
        var garbage: [UInt8] = [0x45, 0, 0, 4]
        #expect(nat.inbound(&garbage, now: now) == nil)
        #expect(nat.outbound(&garbage, token: Self.circuitA, own: Self.own, now: now, random: &random) == nil)
    }

    @Test("a flow idle for its lifetime is forgotten, one in use is kept")
    func expiry() {
        var nat = AnonymousNAT()
        var random = SeededRandom(seed: 4)
        var idle = Self.udp(sourcePort: 1), busy = Self.udp(sourcePort: 2)
        _ = nat.outbound(&idle, token: Self.circuitA, own: Self.own, now: now, random: &random)
        _ = nat.outbound(&busy, token: Self.circuitA, own: Self.own, now: now, random: &random)
        let later = now + (AnonymousNAT.idleLifetime - .seconds(1))
        var busyAnswer = Self.answer(to: busy)
        #expect(nat.inbound(&busyAnswer, now: later) == Self.circuitA)
        nat.expire(now: now + AnonymousNAT.idleLifetime)
        #expect(nat.count == 1)
        var idleAnswer = Self.answer(to: idle)
        #expect(nat.inbound(&idleAnswer, now: later) == nil)
    }
}
