import Foundation
import Testing
import WarrenDHT
@testable import WarrenSimulation

/// A network small and short enough for a debug build in CI, with the loss and churn.
func smallScenario(nodes: Int = 500, seed: UInt64 = 7) -> Scenario {
    var s = Scenario(seed: seed)
    s.nodes = nodes
    s.loss = 0.01
    s.churn = 0.2
    s.lookups = nodes
    s.joinSeconds = 120
    s.republishSeconds = 300
    s.recordLifetimeSeconds = 600
    s.settleSeconds = 300
    s.durationSeconds = 600
    return s
}

@Suite("DHT simulation")
struct SimulationTests {
    @Test("500 nodes with 1% loss and 20% churn find at least 99% of live records in a few hops")
    func smallNetwork() {
        let report = Simulation(smallScenario()).run()
        #expect(report.lookups.issued == 500)
        #expect(report.membership.left == 100)
        #expect(report.membership.joined == 600)
        #expect(report.lookups.unfinished == 0)
        #expect(report.lookups.successRate >= 0.99, "\(report.text)")
        #expect(report.lookups.hops.p50 <= 4)
        #expect(report.messages.lost > 0)
        #expect(report.messages.toDepartedNodes > 0)
    }

    @Test("the same seed gives the same run; another seed another")
    func deterministic() {
        let a = Simulation(smallScenario(nodes: 200, seed: 3)).run()
        let b = Simulation(smallScenario(nodes: 200, seed: 3)).run()
        let c = Simulation(smallScenario(nodes: 200, seed: 4)).run()
        #expect(a == b)
        #expect(a.json == b.json)
        #expect(a.digest == b.digest)
        #expect(a.digest != c.digest)
    }

    @Test("across a partition lookups fail, and after the rejoin they succeed again")
    func partition() {
        var s = smallScenario(nodes: 300, seed: 11)
        s.lookups = 900
        s.dht.bucketRefreshInterval = .seconds(120)
        s.republishSeconds = 240
        s.recordLifetimeSeconds = 480
        s.settleSeconds = 240
        s.partition = Scenario.Partition(startSeconds: 60, durationSeconds: 720, binSeconds: 120)
        s.durationSeconds = 60 + 720 + 480
        let report = Simulation(s).run()
        let p = try! #require(report.partition)
        #expect(p.duringCrossHalves.lookups > 0)
        #expect(p.duringCrossHalves.rate < 0.5, "\(report.text)")
        #expect(p.duringSameHalf.rate >= 0.95, "\(report.text)")
        let late = p.afterRejoin.filter { $0.fromSeconds >= 240 }
        #expect(!late.isEmpty)
        for bin in late { #expect(bin.crossHalves.rate >= 0.95, "\(report.text)") }
    }

    @Test("the JSON report decodes to the same report")
    func json() throws {
        var s = smallScenario(nodes: 60)
        s.lookups = 30
        let report = Simulation(s).run()
        let decoded = try JSONDecoder().decode(SimulationReport.self, from: Data(report.json.utf8))
        #expect(decoded == report)
    }
}

@Suite("Simulation parts")
struct SimulationPartsTests {
    @Test("events come out in time order, ties in the order they went in")
    func eventOrder() {
        var q = EventQueue<Int>()
        let times: [UInt64] = [5, 1, 5, 3, 1, 5, 0]
        for (i, t) in times.enumerated() { q.push(i, at: t) }
        var out: [Int] = []
        while let e = q.pop() { out.append(e.payload) }
        #expect(out == [6, 1, 4, 3, 0, 2, 5])
    }

    @Test("a node pair's RTT is symmetric, stable and log-normal around the median")
    func links() {
        var link = LinkModel()
        link.salt = 42
        #expect(link.roundTripNanoseconds(3, 9) == link.roundTripNanoseconds(9, 3))
        #expect(link.roundTripNanoseconds(3, 9) != link.roundTripNanoseconds(3, 10))
        let sample = link.sampleRoundTrips(nodes: 5000, samples: 20_000, seed: 1)
        let median = sample[sample.count / 2]
        #expect(abs(median - 80) < 4)
        #expect(sample.first! >= link.minimumRTTMilliseconds && sample.last! <= link.maximumRTTMilliseconds)
        let within = Double(sample.filter { $0 >= 10 && $0 <= 300 }.count) / Double(sample.count)
        #expect(within > 0.95)
    }

    @Test("the seeded stream replays and covers [0, 1)")
    func random() {
        var a = SimulationRandom(seed: 9), b = SimulationRandom(seed: 9)
        let xs = (0..<1000).map { _ in a.unit() }
        #expect(xs == (0..<1000).map { _ in b.unit() })
        #expect(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(xs.min()! < 0.01 && xs.max()! > 0.99)
    }
}
