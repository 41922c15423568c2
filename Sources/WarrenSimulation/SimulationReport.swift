/// What a run measured, in a form both people (`text`) and programs (`json`) read. Everything
/// but `process` is a pure function of the scenario, so two runs with one seed compare equal.
public struct SimulationReport: Codable, Equatable, Sendable {
    public struct Setup: Codable, Equatable, Sendable {
        public var nodes: Int
        public var loss: Double
        public var churn: Double
        public var lookups: Int
        public var seed: UInt64
        public var joinSeconds: Double
        public var settleSeconds: Double
        public var durationSeconds: Double
        public var republishSeconds: Double
        public var recordLifetimeSeconds: Double
        public var maintenanceSeconds: Double
        public var k: Int
        public var alpha: Int
        public var queryTimeoutMilliseconds: Double
        public var bucketRefreshSeconds: Double
        /// nil: table entries are never probed for staleness.
        public var staleAfterSeconds: Double?
        public var stallsSlowQueries: Bool
        public var maxFailures: Int
        public var dormantPerBucket: Int
        public var medianRTTMilliseconds: Double
        public var rttSigma: Double
        public var partitionStartSeconds: Double?
        public var partitionDurationSeconds: Double?
    }

    /// Nearest-rank percentiles of a sample.
    public struct Distribution: Codable, Equatable, Sendable {
        public var count: Int
        public var mean: Double
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double

        init(_ values: [Double]) {
            let sorted = values.sorted()
            count = sorted.count
            mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
            p50 = Self.percentile(sorted, 0.50)
            p90 = Self.percentile(sorted, 0.90)
            p99 = Self.percentile(sorted, 0.99)
            max = sorted.last ?? 0
        }

        static func percentile(_ sorted: [Double], _ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p * Double(sorted.count)).rounded(.up))
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
        }

        func scaled(by factor: Double) -> Distribution {
            var d = self
            d.mean *= factor; d.p50 *= factor; d.p90 *= factor; d.p99 *= factor; d.max *= factor
            return d
        }
    }

    public struct Links: Codable, Equatable, Sendable {
        public var sampledPairs: Int
        public var rttMilliseconds: Distribution
        public var rttP10Milliseconds: Double
        public var shareWithin10To300Milliseconds: Double
    }

    public struct Lookups: Codable, Equatable, Sendable {
        public var issued: Int
        /// Not issued: no node had published yet.
        public var skipped: Int
        public var finished: Int
        /// The asking node left before its lookup ended.
        public var abandoned: Int
        /// Still running when the simulation ended.
        public var unfinished: Int
        public var succeeded: Int
        public var successRate: Double
        /// Over successful lookups.
        public var hops: Distribution
        /// `hopHistogram[h]`: successful lookups that took h hops.
        public var hopHistogram: [Int]
        public var latencyMilliseconds: Distribution
        public var latencyOverMedianRTT: Distribution
        /// Queries sent per lookup (each answered one also brought back a response).
        public var queries: Distribution
        /// Latency of the lookups that failed (they end by running out of nodes to ask).
        public var failedLatencyMilliseconds: Distribution
    }

    public struct Membership: Codable, Equatable, Sendable {
        public var initialNodes: Int
        public var joined: Int
        public var left: Int
        public var upAtEnd: Int
        public var meanContacts: Double
        /// Of the contacts in the tables of nodes up at the end, those that have left.
        public var departedContactShare: Double
        public var meanRecordsStored: Double
        public var maxRecordsStored: Int
        /// By all nodes: bootstrap, publish, bucket refresh and measured lookups.
        public var lookupsStarted: Int
        public var requestsRateLimited: Int
        public var recordsRefused: Int
    }

    public struct Messages: Codable, Equatable, Sendable {
        public var sent: Int
        public var delivered: Int
        public var lost: Int
        public var toDepartedNodes: Int
        public var blockedByPartition: Int
        public var perNodePerMinute: Double
        public var byKind: [String: Int]
    }

    public struct Rate: Codable, Equatable, Sendable {
        public var lookups = 0
        public var succeeded = 0
        public var rate: Double { lookups == 0 ? 1 : Double(succeeded) / Double(lookups) }

        mutating func add(_ success: Bool) {
            lookups += 1
            if success { succeeded += 1 }
        }
    }

    public struct PartitionBin: Codable, Equatable, Sendable {
        /// Seconds after the rejoin.
        public var fromSeconds: Double
        public var toSeconds: Double
        public var crossHalves: Rate
        public var sameHalf: Rate
    }

    public struct Partition: Codable, Equatable, Sendable {
        public var halves: [Int]
        public var bucketRefreshSeconds: Double
        public var beforeCrossHalves: Rate
        public var duringCrossHalves: Rate
        public var duringSameHalf: Rate
        public var afterRejoin: [PartitionBin]
        /// Seconds after the rejoin from which every later bin has ≥ 99% cross-half success.
        public var recoveredAfterSeconds: Double?
    }

    public struct ProcessFigures: Codable, Equatable, Sendable {
        public var wallSeconds: Double
        public var peakRSSMegabytes: Double

        public init(wallSeconds: Double, peakRSSMegabytes: Double) {
            self.wallSeconds = wallSeconds
            self.peakRSSMegabytes = peakRSSMegabytes
        }
    }

    public var setup: Setup
    public var links: Links
    public var lookups: Lookups
    public var membership: Membership
    public var messages: Messages
    public var partition: Partition?
    public var simulatedSeconds: Double
    public var events: Int
    /// A hash of every measured lookup and counter: equal digests, equal runs.
    public var digest: String
    /// Wall time and memory: measured by the caller, differ between runs.
    public var process: ProcessFigures?

    /// The report without what differs between identical runs.
    public var deterministicPart: SimulationReport {
        var r = self
        r.process = nil
        return r
    }
}
