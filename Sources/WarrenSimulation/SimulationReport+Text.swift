import Foundation

extension SimulationReport {
    /// The issue's targets (issue 4, "Scale, shown by a simulator").
    public enum Target {
        public static let successRate = 0.995
        public static let medianHops = 4.0
        public static let p99LatencyOverMedianRTT = 5.0
        public static let partitionSuccessRate = 0.99
        /// Cross-half lookups must succeed again within this many bucket-refresh periods.
        public static let partitionRefreshPeriods = 2.0
    }

    public var meetsSuccessTarget: Bool { lookups.successRate >= Target.successRate }
    public var meetsHopTarget: Bool { lookups.hops.p50 <= Target.medianHops }
    public var meetsLatencyTarget: Bool { lookups.latencyOverMedianRTT.p99 <= Target.p99LatencyOverMedianRTT }
    public var meetsPartitionTarget: Bool? {
        partition.map { p in
            p.recoveredAfterSeconds.map { $0 + 1e-9 < Target.partitionRefreshPeriods * p.bucketRefreshSeconds } ?? false
        }
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// A report for people.
    public var text: String {
        let s = setup, l = lookups, m = membership, n = messages
        var out: [String] = []
        out.append("Warren DHT simulation: \(s.nodes) nodes, loss \(percent(s.loss)), churn \(percent(s.churn)), "
                   + "\(s.lookups) lookups, seed \(s.seed)")
        out.append("  network    RTT per node pair: median \(f(links.rttMilliseconds.p50)) ms (p10 \(f(links.rttP10Milliseconds)), "
                   + "p90 \(f(links.rttMilliseconds.p90)), p99 \(f(links.rttMilliseconds.p99))); "
                   + "\(percent(links.shareWithin10To300Milliseconds)) of pairs within 10–300 ms")
        out.append("  DHT        k \(s.k), α \(s.alpha), query timeout \(f(s.queryTimeoutMilliseconds, 0)) ms, "
                   + "bucket refresh \(f(s.bucketRefreshSeconds, 0)) s, "
                   + (s.staleAfterSeconds.map { "entries silent for \(f($0, 0)) s probed" } ?? "no probing of silent entries") + ", "
                   + (s.stallsSlowQueries ? "slow queries stall" : "no stalls")
                   + ", contacts dropped after \(s.maxFailures) failure\(s.maxFailures == 1 ? "" : "s")"
                   + ", \(s.dormantPerBucket) dropped contacts per bucket retried")
        out.append("  records    republished every \(f(s.republishSeconds, 0)) s, expire after \(f(s.recordLifetimeSeconds, 0)) s")
        let start = s.joinSeconds + s.settleSeconds
        out.append("  timeline   joins 0–\(f(s.joinSeconds, 0)) s; measuring \(f(start, 0))–\(f(start + s.durationSeconds, 0)) s, "
                   + "during which \(m.left) nodes left and as many joined")
        if let p = s.partitionStartSeconds, let d = s.partitionDurationSeconds {
            out.append("  partition  two halves cut apart \(f(p, 0))–\(f(p + d, 0)) s")
        }
        out.append("")
        out.append("lookups      \(l.issued) issued, \(l.finished) finished, \(l.abandoned) abandoned (asker left), "
                   + "\(l.unfinished) unfinished, \(l.skipped) skipped")
        out.append("  success    \(l.succeeded) / \(l.finished + l.unfinished) = \(percent(l.successRate, 2))"
                   + "    target ≥ \(percent(Target.successRate, 1)): \(verdict(meetsSuccessTarget))")
        out.append("  hops       median \(f(l.hops.p50, 0)), p90 \(f(l.hops.p90, 0)), p99 \(f(l.hops.p99, 0)), max \(f(l.hops.max, 0)), "
                   + "mean \(f(l.hops.mean, 2))    target median ≤ \(f(Target.medianHops, 0)): \(verdict(meetsHopTarget))")
        let histogram = l.hopHistogram.enumerated().filter { $0.element > 0 }.map { "\($0.offset): \($0.element)" }
        out.append("             histogram  " + histogram.joined(separator: ", "))
        out.append("  latency    p50 \(f(l.latencyMilliseconds.p50, 0)) ms, p90 \(f(l.latencyMilliseconds.p90, 0)) ms, "
                   + "p99 \(f(l.latencyMilliseconds.p99, 0)) ms, max \(f(l.latencyMilliseconds.max, 0)) ms")
        out.append("             = \(f(l.latencyOverMedianRTT.p50, 2))×, \(f(l.latencyOverMedianRTT.p90, 2))×, "
                   + "\(f(l.latencyOverMedianRTT.p99, 2))× the median link RTT    "
                   + "target p99 ≤ \(f(Target.p99LatencyOverMedianRTT, 0))×: \(verdict(meetsLatencyTarget))")
        out.append("  queries    per lookup: mean \(f(l.queries.mean, 1)), median \(f(l.queries.p50, 0)), p99 \(f(l.queries.p99, 0))")
        if l.failedLatencyMilliseconds.count > 0 {
            out.append("  failures   \(l.failedLatencyMilliseconds.count), ending after p50 \(f(l.failedLatencyMilliseconds.p50, 0)) ms")
        }
        out.append("")
        out.append("nodes        \(m.upAtEnd) up at the end; \(m.joined) joined, \(m.left) left")
        out.append("  tables     \(f(m.meanContacts, 1)) contacts per node (\(percent(m.departedContactShare, 1)) of them departed); \(f(m.meanRecordsStored, 1)) records stored per node "
                   + "(max \(m.maxRecordsStored))")
        out.append("  work       \(m.lookupsStarted) lookups started by all nodes (bootstrap, publish, refresh, measured); "
                   + "\(m.requestsRateLimited) requests rate-limited, \(m.recordsRefused) records refused")
        out.append("messages     \(n.sent) sent (\(f(n.perNodePerMinute, 1)) per node per minute), \(n.delivered) delivered, "
                   + "\(n.lost) lost, \(n.toDepartedNodes) to departed nodes, \(n.blockedByPartition) cut by the partition")
        out.append("  by kind    " + Metrics.messageKinds.map { "\($0) \(n.byKind[$0] ?? 0)" }.joined(separator: ", "))
        if let p = partition {
            out.append("")
            out.append("partition    halves of \(p.halves[0]) and \(p.halves[1]) nodes at the end; bucket refresh \(f(p.bucketRefreshSeconds, 0)) s")
            out.append("  before     cross-half \(rate(p.beforeCrossHalves))")
            out.append("  during     cross-half \(rate(p.duringCrossHalves)); same half \(rate(p.duringSameHalf))")
            out.append("  after rejoin (seconds since), cross-half lookups / same-half lookups:")
            for bin in p.afterRejoin {
                out.append("    \(pad(f(bin.fromSeconds, 0), 6))–\(pad(f(bin.toSeconds, 0), 6)) s   "
                           + "cross \(pad(rate(bin.crossHalves), 22))   same \(rate(bin.sameHalf))")
            }
            let recovered = p.recoveredAfterSeconds.map { "from \(f($0, 0)) s after the rejoin on" } ?? "never"
            out.append("  recovered  cross-half success ≥ 99% \(recovered)    "
                       + "target within \(f(Target.partitionRefreshPeriods * p.bucketRefreshSeconds, 0)) s: "
                       + "\(verdict(meetsPartitionTarget ?? false))")
        }
        out.append("")
        var run = "run          simulated \(f(simulatedSeconds, 0)) s, \(events) events"
        if let process {
            run += "; wall \(f(process.wallSeconds, 1)) s (\(f(simulatedSeconds / max(process.wallSeconds, 1e-9), 1))× real time), "
                + "peak RSS \(f(process.peakRSSMegabytes, 0)) MB"
        }
        out.append(run)
        out.append("  digest     \(digest)")
        return out.joined(separator: "\n")
    }

    private func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
    private func percent(_ x: Double, _ digits: Int = 1) -> String { f(x * 100, digits) + "%" }
    private func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }
    private func rate(_ r: Rate) -> String { "\(r.succeeded)/\(r.lookups) = \(percent(r.rate, 1))" }
    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
