import Testing
import WarrenCrypto
import WarrenNAT
import WarrenWire

@Suite("Path selector")
struct PathSelectorTests {
    let home = Endpoint("198.51.100.7:41000")!
    let lan = Endpoint("192.168.1.7:51820")!
    let relay = Path(endpoint: Endpoint("203.0.113.1:51820")!, channel: 0xA0A0)
    let relayKey = Key32(bytes: [UInt8](repeating: 9, count: 32))!
    let t0 = Instant(nanoseconds: 1_000_000_000)
    let never = Instant.zero

    /// A peer first heard of through a relay channel, with its record's two addresses.
    func relayedPeer() -> PathSelector {
        var paths = PathSelector(endpoint: home)
        paths.candidates = [lan, home]
        let heardRelay = paths.heard(on: relay, now: t0)
        #expect(heardRelay)
        let relayed = paths.choose(at: t0, lastDirectReceived: never)
        #expect(relayed)
        return paths
    }

    @Test("packets take the relay until an answer comes back directly, and the relay names its node once bound")
    func relayUntilConfirmed() {
        var paths = PathSelector()
        #expect(paths.state == .unknown && paths.current == nil)
        paths.move(to: home)
        #expect(paths.state == .direct(home))
        let counted = paths.confirmDirect(from: home, now: t0)
        #expect(!counted, "a peer without a relay keeps no count")
        paths = relayedPeer()
        #expect(paths.state == .relayed(relay, via: nil) && paths.current == relay)
        paths.boundBy(relayKey)
        #expect(paths.state == .relayed(relay, via: relayKey))
        let heardAgain = paths.heard(on: relay, now: t0 + .seconds(1))
        #expect(!heardAgain, "the same channel again changes nothing")
        let moved = paths.confirmDirect(from: lan, now: t0 + .seconds(2))
        #expect(moved, "the answer came from another address: it becomes the endpoint")
        let wentDirect = paths.choose(at: t0 + .seconds(2), lastDirectReceived: never)
        #expect(wentDirect)
        #expect(paths.state == .direct(lan) && paths.current == .direct(lan))
        #expect(paths.directAddresses == [lan, home])
    }

    @Test("a direct path falls back to the relay when nothing comes that way for its trust time, not before")
    func trustLapses() {
        var paths = relayedPeer()
        _ = paths.confirmDirect(from: home, now: t0)
        _ = paths.choose(at: t0, lastDirectReceived: never)
        let traffic = t0 + .seconds(10)
        let fellBackEarly = paths.choose(at: traffic + (PathSelector.directTrust - .milliseconds(1)), lastDirectReceived: traffic)
        #expect(!fellBackEarly, "packets that came directly renew the trust")
        let fellBack = paths.choose(at: traffic + PathSelector.directTrust, lastDirectReceived: traffic)
        #expect(fellBack)
        #expect(paths.state == .relayed(relay, via: nil))
    }

    @Test("on the relay, probes go every second with predicted ports for 10 s, then every 15 s without them")
    func relayedProbing() {
        var paths = relayedPeer()
        let guess = Endpoint("198.51.100.7:41001")!
        paths.predict([guess, home])
        let first = paths.probeTargets(at: t0, lastDirectReceived: never)
        #expect(first == [home, lan, guess])
        let tooSoon = paths.probeTargets(at: t0 + .milliseconds(999), lastDirectReceived: never)
        #expect(tooSoon.isEmpty)
        let second = paths.probeTargets(at: t0 + .seconds(1), lastDirectReceived: never)
        #expect(second == [home, lan, guess])
        // Once eager probing is over, the next probe waits `directRecheck` after the last.
        let quiet = paths.probeTargets(at: t0 + PathSelector.eagerProbing, lastDirectReceived: never)
        #expect(quiet.isEmpty)
        let calm = t0 + .seconds(1) + PathSelector.directRecheck
        let calmFirst = paths.probeTargets(at: calm, lastDirectReceived: never)
        #expect(calmFirst == [home, lan], "no guesses once probing is calm")
        let calmTooSoon = paths.probeTargets(at: calm + .seconds(14), lastDirectReceived: never)
        #expect(calmTooSoon.isEmpty)
        let calmSecond = paths.probeTargets(at: calm + PathSelector.directRecheck, lastDirectReceived: never)
        #expect(calmSecond == [home, lan])
        // A peer that roamed gets a probe at its new endpoint at once.
        paths.move(to: lan)
        let afterRoaming = paths.probeTargets(at: calm + PathSelector.directRecheck + .seconds(1), lastDirectReceived: never)
        #expect(afterRoaming == [lan, home])
    }

    @Test("a trusted direct path is probed only once a third of its trust passed in silence; confirming forgets guesses")
    func directProbing() {
        var paths = relayedPeer()
        paths.predict([Endpoint("198.51.100.7:41001")!])
        _ = paths.confirmDirect(from: home, now: t0)
        _ = paths.choose(at: t0, lastDirectReceived: never)
        #expect(paths.predicted.isEmpty)
        let early = paths.probeTargets(at: t0 + .seconds(4), lastDirectReceived: never)
        #expect(early.isEmpty)
        let renewal = paths.probeTargets(at: t0 + PathSelector.directTrust / 3, lastDirectReceived: never)
        #expect(renewal == [home, lan])
        let whileUsed = paths.probeTargets(at: t0 + .seconds(9), lastDirectReceived: t0 + .seconds(8))
        #expect(whileUsed.isEmpty, "recent direct packets")
    }

    @Test("a peer without a relay is never probed")
    func noRelayNoProbe() {
        var paths = PathSelector(endpoint: home)
        let probes = paths.probeTargets(at: t0, lastDirectReceived: never)
        #expect(probes.isEmpty)
        let changed = paths.choose(at: t0, lastDirectReceived: never)
        #expect(!changed)
        #expect(paths.state == .direct(home))
    }
}

@Suite("Path selector on a shared LAN")
struct LANPathTests {
    let hairpin = Endpoint("198.51.100.7:40001")!
    let lan = Endpoint("192.168.1.7:51820")!
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("a peer met at a public address is probed at the LAN address its beacon came from, and moves there when it answers")
    func lanUpgrade() {
        var paths = PathSelector(endpoint: hairpin)
        let unheard = paths.probeTargets(at: t0, lastDirectReceived: t0)
        #expect(unheard.isEmpty, "no relay, no LAN address: nothing to probe")
        paths.heardOnLAN(at: lan, now: t0)
        let first = paths.probeTargets(at: t0, lastDirectReceived: t0)
        let tooSoon = paths.probeTargets(at: t0 + .milliseconds(500), lastDirectReceived: t0)
        let second = paths.probeTargets(at: t0 + .seconds(1), lastDirectReceived: t0)
        #expect(first == [lan] && tooSoon.isEmpty && second == [lan])
        let calm = paths.probeTargets(at: t0 + .seconds(11), lastDirectReceived: t0)
        #expect(calm.isEmpty, "after eager probing, every 15 s")
        let elsewhere = paths.confirmDirect(from: Endpoint("203.0.113.9:51820")!, now: t0)
        #expect(!elsewhere, "only the LAN address's answer moves a peer that has no relay")
        let moved = paths.confirmDirect(from: lan, now: t0 + .seconds(2))
        #expect(moved && paths.state == .direct(lan))
        let done = paths.probeTargets(at: t0 + .seconds(30), lastDirectReceived: t0)
        #expect(done.isEmpty, "the endpoint is the LAN address: nothing more to probe")
        // The peer's packets sent through the NAT before it followed do not roam it back…
        let late = paths.roam(to: hairpin, now: t0 + .seconds(3))
        #expect(!late && paths.state == .direct(lan))
        // …but after the hold, roaming follows the peer wherever it goes.
        let away = paths.roam(to: hairpin, now: t0 + .seconds(4))
        #expect(away && paths.state == .direct(hairpin))
        let back = paths.roam(to: lan, now: t0 + .seconds(5))
        let held = paths.roam(to: hairpin, now: t0 + .seconds(6))
        #expect(back && !held && paths.state == .direct(lan), "a roam back to the LAN holds too")
    }
}
