import Foundation
import Testing
import WarrenSimulation

/// Whole nodes behind NATs, started together, pinging members they never met.
@Suite("Mesh simulation")
struct MeshSimulationTests {
    static func scenario(seed: UInt64) -> MeshScenario {
        var s = MeshScenario(seed: seed)
        s.nodes = 40
        s.pings = 150
        s.pingSpreadSeconds = 15
        return s
    }

    /// The bounds are today's figures with a margin (see the README's simulator section for
    /// what keeps the rest from going direct); a change that loses pings or direct paths
    /// fails here.
    @Test("pings between members that never met are answered; most punchable pairs go direct within 2 s")
    func pings() {
        let report = MeshSimulation(Self.scenario(seed: 3)).run()
        print(report.text)
        #expect(report.punchable.pings > 50 && report.relayOnly.pings > 25)
        #expect(Double(report.punchable.answered) >= 0.99 * Double(report.punchable.pings))
        #expect(report.relayOnly.answered == report.relayOnly.pings)
        #expect(Double(report.punchable.directWithin2s) >= 0.8 * Double(report.punchable.pings))
        #expect(report.relayOnly.directWithin2s == 0)
        #expect((report.punchable.firstReply.p99Milliseconds ?? .infinity) < 1000)
    }

    /// Dictionary order decides some of a node's action order, and Swift seeds it per process
    /// and per table unless hashing is deterministic (scripts/test sets it).
    @Test("the same seed gives the same report",
          .enabled(if: ProcessInfo.processInfo.environment["SWIFT_DETERMINISTIC_HASHING"] != nil))
    func deterministic() {
        #expect(MeshSimulation(Self.scenario(seed: 4)).run() == MeshSimulation(Self.scenario(seed: 4)).run())
    }
}
