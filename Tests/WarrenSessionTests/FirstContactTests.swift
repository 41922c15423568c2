import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenSession

/// When machines boot together, a peer's socket may open a moment after the first
/// initiation to it: retries to a peer that never answered start fast, unless nobody vouches
/// for the peer's key.
@Suite("First contact")
struct FirstContactTests {
    /// When `manager` sent initiations over `seconds`, its timers run every 50 ms.
    func initiationTimes(_ h: SessionHarness, _ manager: SessionManager, first: [SessionAction], seconds: Int) -> [Double] {
        var times: [Double] = first.contains { if case .send = $0 { true } else { false } } ? [0] : []
        for step in 1...(seconds * 20) {
            h.advance(.milliseconds(50))
            var actions: [SessionAction] = []
            manager.handleTimers(now: h.now, into: &actions)
            if actions.contains(where: { if case .send = $0 { true } else { false } }) { times.append(Double(step) / 20) }
        }
        return times
    }

    @Test("a static peer that never answered is retried after 0.25, 0.5, 1, 2 and 4 s, then every 5 s")
    func staticPeer() {
        let h = SessionHarness()
        let b = h.addNode("b", host: 2)
        let a = h.addNode("a", host: 1, staticPeers: [b])
        h.vanish(b)
        var first: [SessionAction] = []
        h.nodes[a].manager.start(now: h.now, into: &first)
        let times = initiationTimes(h, h.nodes[a].manager, first: first, seconds: 20)
        #expect(times.prefix(while: { $0 < 2 }).count >= 4, "\(times)")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 <= 5.1 } && gaps.suffix(2).allSatisfy { $0 >= 5 }, "\(times)")
    }

    @Test("a bootstrap node the configuration names is retried fast too; a key a DHT answer named is not",
          arguments: [true, false])
    func contacts(configured: Bool) {
        let h = SessionHarness()
        let a = h.addNode("a", host: 1)
        var rng = SeededRandom(seed: 8)
        let key = SigningKey(random: &rng).publicKey
        let manager = h.nodes[a].manager
        if configured { manager.configuredContacts = [key] }
        var first: [SessionAction] = []
        manager.sendControl([0x01, 1], to: key, endpoint: Endpoint("198.51.100.1:51820")!, now: h.now, into: &first)
        let times = initiationTimes(h, manager, first: first, seconds: 4)
        #expect(configured ? times.count >= 5 : times == [0], "\(times)")
    }
}

