import ArgumentParser
import WarrenDHT
import WarrenSimulation

/// `warren-sim`: runs thousands of real nodes in one process over a simulated network: DHT
/// nodes alone (`dht`, the default), or whole nodes behind NATs (`mesh`). See "Simulator"
/// in the README.
@main
struct WarrenSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warren-sim",
        abstract: "Simulate a Warren network: thousands of in-process nodes on a simulated clock.",
        subcommands: [DHTSim.self, MeshSim.self], defaultSubcommand: DHTSim.self)
}

/// `warren-sim dht`: DHT nodes and their lookups.
struct DHTSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "Simulate a Warren DHT: thousands of in-process nodes over a network with latency, loss and churn.",
        discussion: """
            Nodes join over --join seconds, publish their records and republish them; after --settle seconds \
            --lookups lookups of live nodes' records run at random times over --duration seconds, while --churn \
            of the nodes are replaced. The same --seed gives the same report.
            """)

    @Option(help: "Nodes in the network.") var nodes = 1000
    @Option(help: "Probability that a message is lost.") var loss = 0.0
    @Option(help: "Fraction of the nodes replaced (one leaves silently, one joins) while measuring.") var churn = 0.0
    @Option(help: "Lookups of live records while measuring (default: as many as nodes).") var lookups: Int?
    @Option(help: "Random seed: the same seed gives the same run.") var seed: UInt64 = 1
    @Option(help: "Seconds over which the initial nodes join.") var join = 600.0
    @Option(help: "Seconds between the last join and the start of measuring (default: one republish period, so records published while the network was forming have been republished).") var settle: Double?
    @Option(help: "Seconds of measuring (lookups and churn).") var duration: Double?
    @Option(help: "Seconds between a node's republications of its record.") var republish: Double?
    @Option(help: "Seconds a record lives unless republished.") var recordLifetime: Double?
    @Option(help: "DHT bucket refresh interval in seconds (DHTNode default 900).") var refresh: Double?
    @Option(help: "DHT query timeout in milliseconds.") var queryTimeout: Double?
    @Option(help: "DHT parallel queries per lookup (α).") var alpha: Int?
    @Option(help: "DHT bucket size and replication (k).") var k: Int?
    @Option(help: "Seconds after which a routing-table entry not heard from is pinged (0: never; DHTNode default 600).")
    var staleAfter: Double?
    @Flag(help: "Let unanswered queries hold their lookup slot until the timeout (no stalls).") var noStall = false
    @Option(help: "Failures in a row before a contact with no replacement is dropped (DHTNode default 3).")
    var maxFailures: Int?
    @Option(help: "Dropped contacts each bucket remembers and retries (0: none; DHTNode default 8).") var dormant: Int?
    @Option(help: "Median round-trip time of a node pair, milliseconds.") var medianRtt = 80.0
    @Option(help: "Standard deviation of ln(RTT) across node pairs.") var rttSigma = 0.65
    @Option(help: "Seconds between runs of every node's timers besides its query deadlines.") var maintenance = 60.0

    @Flag(help: "Split the network into two halves for a while, then rejoin them, and report cross-half lookups.")
    var partition = false
    @Option(help: "Seconds into measuring when the partition starts.") var partitionAt = 600.0
    @Option(help: "Seconds the partition lasts (default: longer than a record lives, so only new records count).")
    var partitionFor: Double?
    @Option(help: "Width in seconds of the bins reporting lookups after the rejoin (default: refresh / 2).")
    var partitionBin: Double?

    @Flag(help: "Explain every failed lookup on standard error.") var diagnose = false
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "Run twice and fail unless both runs report the same.") var checkDeterminism = false

    func validate() throws {
        guard nodes >= 2 else { throw ValidationError("--nodes must be at least 2") }
        guard (0..<1).contains(loss) else { throw ValidationError("--loss must be in [0, 1)") }
        guard churn >= 0 && churn <= 10 else { throw ValidationError("--churn must be in [0, 10]") }
        guard (lookups ?? 0) >= 0 else { throw ValidationError("--lookups must not be negative") }
    }

    func scenario() -> Scenario {
        var s = Scenario(seed: seed)
        s.nodes = nodes
        s.loss = loss
        s.churn = churn
        s.lookups = lookups ?? nodes
        s.joinSeconds = join
        s.maintenanceSeconds = maintenance
        s.diagnoseFailures = diagnose
        s.link.medianRTTMilliseconds = medianRtt
        s.link.sigma = rttSigma
        if let k { s.dht.k = k }
        if let alpha { s.dht.alpha = alpha }
        if let queryTimeout { s.dht.queryTimeout = .milliseconds(Int64(queryTimeout)) }
        if let staleAfter { s.dht.staleAfter = staleAfter > 0 ? .milliseconds(Int64(staleAfter * 1000)) : nil }
        if noStall { s.dht.stallsSlowQueries = false }
        if let maxFailures { s.dht.maxFailures = max(1, maxFailures) }
        if let dormant { s.dht.dormantPerBucket = max(0, dormant) }
        if partition {
            // Shorter periods so that a run covers a partition longer than a record lives and
            // two refresh periods after it.
            let refreshSeconds = refresh ?? 300
            s.dht.bucketRefreshInterval = .seconds(refreshSeconds)
            s.republishSeconds = republish ?? 2 * refreshSeconds
            s.recordLifetimeSeconds = recordLifetime ?? 2 * s.republishSeconds
            let cut = partitionFor ?? s.recordLifetimeSeconds + s.republishSeconds
            s.partition = Scenario.Partition(startSeconds: partitionAt, durationSeconds: cut,
                                             binSeconds: partitionBin ?? refreshSeconds / 2)
            s.durationSeconds = duration ?? partitionAt + cut + 4 * refreshSeconds
        } else {
            if let refresh { s.dht.bucketRefreshInterval = .seconds(refresh) }
            s.republishSeconds = republish ?? 1800
            s.recordLifetimeSeconds = recordLifetime ?? 2 * s.republishSeconds
            s.durationSeconds = duration ?? 3600
        }
        s.settleSeconds = settle ?? s.republishSeconds
        return s
    }

    func run() throws {
        let scenario = scenario()
        let clock = ContinuousClock()
        let started = clock.now
        var report = Simulation(scenario).run()
        let elapsed = clock.now - started
        report.process = .init(wallSeconds: elapsed.secondsValue, peakRSSMegabytes: ProcessUsage.peakResidentMegabytes())
        if checkDeterminism {
            let again = Simulation(scenario).run()
            guard again.deterministicPart == report.deterministicPart else {
                print(report.text)
                print("\nsecond run with the same seed differs:\n" + again.text)
                throw ExitCode.failure
            }
        }
        print(json ? report.json : report.text)
        if checkDeterminism, !json { print("  determinism a second run with seed \(seed) gave the same report (digest \(report.digest))") }
    }
}

extension Duration {
    var secondsValue: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
