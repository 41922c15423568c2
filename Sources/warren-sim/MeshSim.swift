import ArgumentParser
import Glibc
import WarrenSimulation

/// `warren-sim mesh`: whole nodes behind NAT boxes, started together, pinging members they
/// never met.
struct MeshSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Simulate a Warren mesh: whole nodes behind NATs, started together, pinging members they never met.",
        discussion: """
            Members sit on public addresses or behind NATs of the lab's kinds (30% no NAT or full cone, 40% \
            port-restricted, 30% symmetric with random or sequential ports), start at random times over \
            --start seconds with --relays relays as bootstrap nodes, then --pings pings between pairs that never \
            met run over --spread seconds. Reports the share answered, the share direct within 2 s, and the \
            times to the first reply and to a direct path. The same --seed gives the same report.
            """)

    static let deterministicHashing = "SWIFT_DETERMINISTIC_HASHING"

    @Option(help: "Members besides the relays.") var nodes = 1000
    @Option(help: "Relays (bootstrap nodes on public addresses).") var relays = 3
    @Option(help: "Pings between pairs that never met.") var pings = 10_000
    @Option(help: "Seconds over which members start.") var start = 10.0
    @Option(help: "Seconds after the first start when the pings begin.") var pingAt = 15.0
    @Option(help: "Seconds over which the pings are spread.") var spread = 60.0
    @Option(help: "Probability that a datagram is lost.") var loss = 0.0
    @Option(help: "Share of members that restart once while the pings run (down 5–20 s).") var churn = 0.0
    @Option(help: "Random seed: the same seed gives the same run.") var seed: UInt64 = 1
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "Run twice and fail unless both runs report the same.") var checkDeterminism = false

    func validate() throws {
        guard nodes >= 2, relays >= 1 else { throw ValidationError("--nodes must be at least 2 and --relays at least 1") }
        guard nodes + relays < 1 << 16 else { throw ValidationError("at most 65,535 nodes in all (one /16 overlay)") }
        guard (0..<1).contains(loss) else { throw ValidationError("--loss must be in [0, 1)") }
        guard (0...1).contains(churn) else { throw ValidationError("--churn must be in [0, 1]") }
        guard pings < 1 << 16 else { throw ValidationError("--pings must be below 65,536 (an echo's identifier)") }
    }

    func run() throws {
        // Whole nodes iterate their dictionaries, whose order Swift seeds per process and per
        // table: only deterministic hashing makes a seed give the same run. It must be set
        // before the runtime starts, so the simulator starts itself again with it.
        if getenv(Self.deterministicHashing) == nil {
            setenv(Self.deterministicHashing, "1", 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            throw ValidationError("cannot restart with \(Self.deterministicHashing)=1: \(String(cString: strerror(errno)))")
        }
        var scenario = MeshScenario(seed: seed)
        scenario.nodes = nodes
        scenario.relays = relays
        scenario.pings = pings
        scenario.startSeconds = start
        scenario.pingStartSeconds = pingAt
        scenario.pingSpreadSeconds = spread
        scenario.loss = loss
        scenario.churn = churn
        let clock = ContinuousClock()
        let started = clock.now
        var report = MeshSimulation(scenario).run()
        report.wallSeconds = (clock.now - started).secondsValue
        report.peakResidentMegabytes = ProcessUsage.peakResidentMegabytes()
        if checkDeterminism {
            var again = MeshSimulation(scenario).run()
            (again.wallSeconds, again.peakResidentMegabytes) = (report.wallSeconds, report.peakResidentMegabytes)
            guard again == report else {
                print(report.text + "\n\nsecond run with the same seed differs:\n" + again.text)
                throw ExitCode.failure
            }
        }
        print(json ? report.json : report.text)
        if checkDeterminism, !json { print("  determinism: a second run with seed \(seed) gave the same report") }
    }
}
