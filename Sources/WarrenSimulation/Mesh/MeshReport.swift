import FoundationEssentials

/// What the pings of a mesh simulation met.
public struct MeshReport: Codable, Equatable, Sendable {
    public struct Latency: Codable, Equatable, Sendable {
        public var count: Int
        public var medianMilliseconds: Double?
        public var p99Milliseconds: Double?

        init(_ nanoseconds: [UInt64]) {
            let sorted = nanoseconds.sorted()
            count = sorted.count
            func at(_ q: Double) -> Double? {
                sorted.isEmpty ? nil : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1e6
            }
            medianMilliseconds = at(0.5)
            p99Milliseconds = at(0.99)
        }
    }

    /// Pings between sites of one traversal kind (`MeshScenario.Traversal`).
    public struct Group: Codable, Equatable, Sendable {
        public var pings: Int
        public var answered: Int
        public var directWithin2s: Int
        public var firstReply: Latency
        public var direct: Latency
    }

    public var seed: UInt64
    public var nodes: Int
    public var relays: Int
    /// Members per site.
    public var sites: [String: Int]
    /// By how the two sites can be joined: punched, predicted (port guesses), relayed.
    public var groups: [String: Group]
    /// The pings that were never answered, and the ones that could go direct but were not
    /// within 2 s, by the sender's and the target's sites ("port-restricted →
    /// symmetric-sequential").
    public var unansweredBySites: [String: Int]
    public var notDirectBySites: [String: Int]
    /// With churn: members that restarted, pings left out of the groups because one end
    /// stopped while it ran, and the pings (in the groups) to or from a member that had
    /// restarted before they began, with how many were answered.
    public var restartedMembers: Int
    public var pingsCutByAStop: Int
    public var pingsWithRestarted: Int
    public var answeredWithRestarted: Int
    public var datagrams: Int
    /// Simulated seconds.
    public var seconds: Double
    public var wallSeconds: Double?
    public var peakResidentMegabytes: Double?

    public func group(_ traversal: MeshScenario.Traversal) -> Group {
        groups[traversal.rawValue] ?? Group(pings: 0, answered: 0, directWithin2s: 0, firstReply: Latency([]), direct: Latency([]))
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public var text: String {
        func share(_ n: Int, _ of: Int) -> String { of == 0 ? "-" : String(format: "%.2f%%", 100 * Double(n) / Double(of)) }
        func ms(_ v: Double?) -> String { v.map { String(format: "%.1f ms", $0) } ?? "-" }
        var lines = ["mesh of \(nodes) members and \(relays) relays (seed \(seed)): "
                         + sites.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")]
        let pings = groups.values.map(\.pings).reduce(0, +), answered = groups.values.map(\.answered).reduce(0, +)
        lines.append("  pings between pairs that never met: \(pings), answered \(share(answered, pings))")
        for traversal in MeshScenario.Traversal.allCases {
            let g = group(traversal), name = "\(traversal.rawValue) pairs"
            lines.append("  \(name): \(g.pings), answered \(share(g.answered, g.pings)), direct within 2 s \(share(g.directWithin2s, g.pings))")
            lines.append("    first reply median \(ms(g.firstReply.medianMilliseconds)), p99 \(ms(g.firstReply.p99Milliseconds));"
                         + " direct (\(g.direct.count)) median \(ms(g.direct.medianMilliseconds)), p99 \(ms(g.direct.p99Milliseconds))")
        }
        for (name, bySites) in [("unanswered", unansweredBySites), ("could go direct but did not within 2 s", notDirectBySites)]
        where !bySites.isEmpty {
            lines.append("  \(name): " + bySites.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value) \($0.key)" }
                .joined(separator: ", "))
        }
        if restartedMembers > 0 {
            lines.append("  churn: \(restartedMembers) members restarted; \(pingsCutByAStop) pings left out (an end stopped while they ran);"
                         + " pings to or from a restarted member: \(pingsWithRestarted), answered \(share(answeredWithRestarted, pingsWithRestarted))")
        }
        lines.append("  \(datagrams) datagrams in \(String(format: "%.0f", seconds)) simulated seconds"
                     + (wallSeconds.map { String(format: "; %.1f s wall", $0) } ?? "")
                     + (peakResidentMegabytes.map { String(format: ", peak RSS %.0f MiB", $0) } ?? ""))
        return lines.joined(separator: "\n")
    }
}

extension MeshSimulation {
    func report() -> MeshReport {
        var collected: [MeshScenario.Traversal: (pings: Int, answered: Int, direct2: Int, replies: [UInt64], direct: [UInt64])] = [:]
        var unanswered: [String: Int] = [:], notDirect: [String: Int] = [:]
        var cut = 0, withRestarted = 0, answeredWithRestarted = 0
        let window = UInt64(MeshScenario.watchSeconds * 1e9)
        for ping in pings where ping.from >= 0 {
            let ends = [hosts[Int(ping.from)], hosts[Int(ping.to)]]
            if ends.contains(where: { host in host.stoppedAt.map { $0 >= ping.startedAt && $0 < ping.startedAt + window } ?? false }) {
                cut += 1
                continue
            }
            if ends.contains(where: { host in host.restartedAt.map { $0 <= ping.startedAt } ?? false }) {
                withRestarted += 1
                if ping.firstReply != nil { answeredWithRestarted += 1 }
            }
            let (from, to) = (hosts[Int(ping.from)].site, hosts[Int(ping.to)].site)
            let traversal = MeshScenario.Site.traversal(from, to)
            if ping.firstReply == nil { unanswered["\(from) → \(to)", default: 0] += 1 }
            if traversal != .relayed, (ping.direct ?? .max) > 2_000_000_000 { notDirect["\(from) → \(to)", default: 0] += 1 }
            var g = collected[traversal] ?? (0, 0, 0, [], [])
            g.pings += 1
            if let reply = ping.firstReply {
                g.answered += 1
                g.replies.append(reply)
            }
            if let direct = ping.direct {
                g.direct.append(direct)
                if direct <= 2_000_000_000 { g.direct2 += 1 }
            }
            collected[traversal] = g
        }
        var groups: [String: MeshReport.Group] = [:]
        for (traversal, g) in collected {
            groups[traversal.rawValue] = .init(pings: g.pings, answered: g.answered, directWithin2s: g.direct2, firstReply: .init(g.replies),
                                               direct: .init(g.direct))
        }
        var sites: [String: Int] = [:]
        for host in hosts.dropFirst(scenario.relays) { sites[host.site.description, default: 0] += 1 }
        return MeshReport(seed: scenario.seed, nodes: scenario.nodes, relays: scenario.relays, sites: sites, groups: groups,
                          unansweredBySites: unanswered, notDirectBySites: notDirect,
                          restartedMembers: hosts.count(where: { $0.stoppedAt != nil }), pingsCutByAStop: cut,
                          pingsWithRestarted: withRestarted, answeredWithRestarted: answeredWithRestarted, datagrams: datagrams,
                          seconds: Double(now) / 1e9)
    }
}
