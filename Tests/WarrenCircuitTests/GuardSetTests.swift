import Foundation
import Testing
import WarrenCrypto
@testable import WarrenCircuit

@Suite("Guards")
struct GuardSetTests {
    static let day: UInt64 = 86_400
    static let start: UInt64 = 1_800_000_000

    @Test("a sample of 20, kept across a save and restore, gives the same guard every time")
    func persistence() throws {
        let relays = relayPopulation(50, seed: 21)
        let listed = Set(relays.map(\.node))
        var rng = SeededRandom(seed: 1)
        var guards = GuardSet()
        guards.update(listed: relays, now: Self.start, random: &rng)
        #expect(guards.sampled.count == GuardSet.maxSampled)
        let first = guards.current(listed: listed, now: Self.start)
        #expect(first == guards.sampled[0].node)
        for restart in 1...10 {
            let saved = try JSONEncoder().encode(guards)
            guards = try JSONDecoder().decode(GuardSet.self, from: saved)
            var other = SeededRandom(seed: UInt64(100 + restart))
            guards.update(listed: relays.shuffled(), now: Self.start + UInt64(restart) * Self.day, random: &other)
            #expect(guards.current(listed: listed, now: Self.start + UInt64(restart) * Self.day) == first, "restart \(restart)")
        }
        #expect(guards.sampled.allSatisfy { (60 * Self.day...120 * Self.day).contains($0.expiresAt - $0.sampledAt) })
    }

    @Test("an unreachable guard is passed over for ten minutes, one whose build failed further on is not, an unlisted one until listed again")
    func backups() {
        let relays = relayPopulation(10, seed: 22)
        var listed = Set(relays.map(\.node))
        var rng = SeededRandom(seed: 2)
        var guards = GuardSet()
        guards.update(listed: relays, now: Self.start, random: &rng)
        let primaries = guards.primaries(listed: listed).map(\.node)
        #expect(primaries.count == 3)
        // A build that failed beyond the guard is no reason to leave it.
        #expect(guards.recordBuild(through: primaries[0], succeeded: false, now: Self.start) == nil)
        #expect(guards.current(listed: listed, now: Self.start + 1) == primaries[0])
        guards.unreachable(primaries[0], now: Self.start)
        #expect(guards.current(listed: listed, now: Self.start + 1) == primaries[1])
        #expect(guards.current(listed: listed, now: Self.start + 600) == primaries[0])
        listed.remove(primaries[0])
        #expect(guards.current(listed: listed, now: Self.start + 600) == primaries[1])
        // The next sampled guard becomes the third primary meanwhile; none is ever a new draw.
        #expect(guards.primaries(listed: listed).map(\.node) == [primaries[1], primaries[2], guards.sampled[3].node])
    }

    @Test("guards expire after their lifetime and are replaced from the listed relays")
    func expiry() {
        let relays = relayPopulation(40, seed: 23)
        var rng = SeededRandom(seed: 3)
        var guards = GuardSet()
        guards.update(listed: relays, now: Self.start, random: &rng)
        let before = Set(guards.sampled.map(\.node))
        guards.update(listed: relays, now: Self.start + 59 * Self.day, random: &rng)
        #expect(Set(guards.sampled.map(\.node)) == before)
        guards.update(listed: relays, now: Self.start + 121 * Self.day, random: &rng)
        #expect(guards.sampled.count == GuardSet.maxSampled)
        #expect(guards.sampled.allSatisfy { $0.sampledAt == Self.start + 121 * Self.day })
    }

    @Test("warnings when a guard's build success falls below 70%, 50% and 30%, each once")
    func warnings() {
        let relays = relayPopulation(5, seed: 24)
        var rng = SeededRandom(seed: 4)
        var guards = GuardSet()
        guards.update(listed: relays, now: Self.start, random: &rng)
        let node = guards.sampled[0].node
        var warned: [Double] = []
        // 20 successes, then only failures.
        for i in 0..<100 {
            if let rate = guards.recordBuild(through: node, succeeded: i < 20, now: Self.start + UInt64(i)) { warned.append(rate) }
        }
        #expect(warned.count == 3)
        #expect(zip(warned, [0.7, 0.5, 0.3]).allSatisfy { $0 < $1 && $0 > $1 - 0.02 }, "\(warned)")
    }

    @Test("a saved guard set with a bad key, more guards than a sample holds, a relay twice or impossible counts is refused")
    func badFile() throws {
        func guardJSON(_ key: UInt8, sampledAt: Int = 1, expiresAt: Int = 2, builds: Int = 0, successes: Int = 0, warned: String = "") -> String {
            let node = Key32(bytes: Array(repeating: key, count: 32))!.description
            return #"{"node":"\#(node)","sampledAt":\#(sampledAt),"expiresAt":\#(expiresAt),"builds":\#(builds),"successes":\#(successes)\#(warned)}"#
        }
        func decode(_ guards: [String]) throws -> GuardSet {
            try JSONDecoder().decode(GuardSet.self, from: Data(#"{"sampled":[\#(guards.joined(separator: ","))]}"#.utf8))
        }
        let fine = try decode((1...20).map { guardJSON($0, builds: 4, successes: 3, warned: #","warnedBelow":0.7"#) })
        #expect(fine.sampled.count == 20)
        let refused: [[String]] = [
            [#"{"node":"not a key","sampledAt":1,"expiresAt":2,"builds":0,"successes":0}"#],
            (1...21).map { guardJSON($0) },
            [guardJSON(1), guardJSON(1)],
            [guardJSON(1, sampledAt: 5, expiresAt: 5)],
            [guardJSON(1, builds: 2, successes: 3)],
            [guardJSON(1, builds: -1, successes: -1)],
            [guardJSON(1, warned: #","warnedBelow":0.25"#)],
        ]
        for guards in refused {
            #expect(throws: DecodingError.self, "\(guards.first ?? "")") { try decode(guards) }
        }
    }
}
