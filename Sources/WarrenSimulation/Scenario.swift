public import WarrenDHT

/// What one simulation run does: how many nodes, how the network behaves, how much churn and
/// how many lookups, and the DHT settings every node runs with. A run is a pure function of
/// its scenario (the seed included).
///
/// Timeline (simulated seconds):
/// ```
///  0 ─ joins ─ joinSeconds ─ settle ─ measureStart ─── lookups, churn ─── measureEnd ─ drain
///                                                 (partition: split at +partition.startSeconds
///                                                  for partition.durationSeconds)
/// ```
public struct Scenario: Sendable {
    public var nodes = 1000
    /// Probability that any one message is lost.
    public var loss = 0.0
    /// Fraction of `nodes` replaced (one leaves silently, a new one joins) during the
    /// measurement window, at uniformly random times.
    public var churn = 0.0
    /// Lookups of live nodes' records, at uniformly random times in the measurement window.
    public var lookups = 1000
    public var seed: UInt64 = 1

    /// Initial nodes join at uniformly random times in [0, joinSeconds), each through a random
    /// node that has already joined.
    public var joinSeconds: Double = 600
    /// Quiet time after the joins (publishing finishes) before measuring.
    public var settleSeconds: Double = 1800
    public var durationSeconds: Double = 3600

    /// A node republishes its record this often, with a new sequence number and expiry.
    public var republishSeconds: Double = 1800
    /// Records expire this long after they are published (unless republished).
    public var recordLifetimeSeconds: Double = 3600
    /// Besides its query deadlines, each node's timers run this often (bucket refresh,
    /// record expiry).
    public var maintenanceSeconds: Double = 60
    /// A lookup's target must have published at least this long before (its stores landed).
    public var targetPublishedSeconds: Double = 5

    /// Explain each failed lookup on standard error: who held the record, what the lookup saw.
    public var diagnoseFailures = false

    public var dht = DHTNode.Settings()
    public var link = LinkModel()
    public var partition: Partition?

    /// The network split into two halves (random by node) for a while, then rejoined.
    public struct Partition: Sendable {
        /// After the start of the measurement window.
        public var startSeconds: Double
        public var durationSeconds: Double
        /// Width of the bins in which lookups after the rejoin are reported.
        public var binSeconds: Double

        public init(startSeconds: Double, durationSeconds: Double, binSeconds: Double) {
            self.startSeconds = startSeconds
            self.durationSeconds = durationSeconds
            self.binSeconds = binSeconds
        }
    }

    public init(seed: UInt64 = 1) {
        self.seed = seed
    }

    var measureStartSeconds: Double { joinSeconds + settleSeconds }
    var measureEndSeconds: Double { measureStartSeconds + durationSeconds }
    /// Lookups still running at the end of the window may take this long to finish.
    var drainSeconds: Double { 120 }
}
