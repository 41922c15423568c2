import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

/// A relay population with crowded networks and families, as a real one has.
func relayPopulation(_ count: Int, seed: UInt64) -> [CircuitRelayInfo] {
    var rng = SeededRandom(seed: seed)
    return (0..<count).map { i in
        let node = SigningKey(random: &rng).publicKey
        let onion = X25519PrivateKey(random: &rng).publicKey
        // 12 IPv4 /16s and 3 IPv6 /32s, a few relays in each.
        let underlay: IPAddress = i % 5 == 4
            ? IPAddress("2001:db8:\(i % 3):\(i)::1")!
            : .v4(IPv4Address(10, UInt8(i % 12), UInt8(i), 1))
        let family: String? = i % 3 == 0 ? "operator-\(i % 8)" : nil
        return CircuitRelayInfo(node: node, onionKey: onion, underlay: underlay, family: family, capacity: 1 + i % 4)
    }
}

@Suite("Circuit paths")
struct CircuitPathTests {
    @Test("100,000 paths of 1 to 8 hops break no rule")
    func noViolations() {
        let relays = relayPopulation(60, seed: 3)
        var rng = SeededRandom(seed: 4)
        var built = 0
        var violations: [[String]] = []
        for _ in 0..<100_000 {
            let hops = 1 + Int(rng.next(below: 8))
            let entry = relays[Int(rng.next(below: UInt64(relays.count)))]
            let sender = relays[Int(rng.next(below: UInt64(relays.count)))].node
            let destination = relays[Int(rng.next(below: UInt64(relays.count)))].node
            let excluded: Set<Key32> = [sender, destination]
            let last = hops >= 2 && rng.next(below: 2) == 0 ? relays[Int(rng.next(below: UInt64(relays.count)))] : nil
            guard let path = CircuitPath.choose(hops: hops, entry: entry, last: last, among: relays, excluding: excluded, random: &rng) else {
                continue
            }
            built += 1
            // Plain checks, one expectation at the end: 100,000 of each would take the time.
            let families = path.compactMap(\.family)
            let obeys = path.count == hops && path.first == entry && (last == nil || path.last == last)
                && Set(path.map(\.node)).count == hops && Set(path.map(\.underlayNetwork)).count == hops
                && Set(families).count == families.count && path.allSatisfy { !excluded.contains($0.node) }
            if !obeys { violations.append(path.map(\.node.description)) }
        }
        #expect(violations.isEmpty, "\(violations.prefix(3))")
        // Most draws have a path; those without are entries or last hops that break a rule.
        #expect(built > 50_000, "\(built) paths")
    }

    @Test("a middle is drawn in proportion to its capacity class")
    func capacityWeighting() {
        var rng = SeededRandom(seed: 8)
        let relays = (0..<3).map { i in
            CircuitRelayInfo(node: SigningKey(random: &rng).publicKey, onionKey: X25519PrivateKey(random: &rng).publicKey,
                             underlay: .v4(IPv4Address(10, UInt8(i), 0, 1)), capacity: i == 2 ? 3 : 1)
        }
        var counts = [0, 0]
        for _ in 0..<8_000 {
            let path = CircuitPath.choose(hops: 2, entry: relays[0], among: relays, excluding: [], random: &rng)!
            counts[path[1] == relays[1] ? 0 : 1] += 1
        }
        // 1 : 3, within a few percent.
        #expect((1_800...2_200).contains(counts[0]) && (5_800...6_200).contains(counts[1]), "\(counts)")
    }

    @Test("no path when the rules leave no relay, or the entry or last hop breaks one")
    func impossible() {
        var rng = SeededRandom(seed: 9)
        let oneNetwork = (0..<5).map { i in
            CircuitRelayInfo(node: SigningKey(random: &rng).publicKey, onionKey: X25519PrivateKey(random: &rng).publicKey,
                             underlay: .v4(IPv4Address(10, 9, UInt8(i), 1)))
        }
        #expect(CircuitPath.choose(hops: 2, entry: oneNetwork[0], among: oneNetwork, excluding: [], random: &rng) == nil)
        #expect(CircuitPath.choose(hops: 1, entry: oneNetwork[0], among: oneNetwork, excluding: [], random: &rng) == [oneNetwork[0]])
        #expect(CircuitPath.choose(hops: 1, entry: oneNetwork[0], among: oneNetwork, excluding: [oneNetwork[0].node], random: &rng) == nil)
        #expect(CircuitPath.choose(hops: 2, entry: oneNetwork[0], last: oneNetwork[1], among: oneNetwork, excluding: [], random: &rng) == nil)
        let relays = relayPopulation(30, seed: 10)
        let family = relays.filter { $0.family == "operator-0" }
        #expect(family.count >= 2)
        #expect(CircuitPath.choose(hops: 3, entry: family[0], last: family[1], among: relays, excluding: [], random: &rng) == nil)
    }
}
