import WarrenDHT

extension Simulation {
    /// Summarises the run: the measured lookups, the network, the nodes' state at the end.
    func makeReport() -> SimulationReport {
        let s = scenario
        let rtts = link.sampleRoundTrips(nodes: max(2, nodes.count), samples: 20_000, seed: s.seed ^ 0x7274_7473)
        let rtt = SimulationReport.Distribution(rtts)
        let within = rtts.filter { $0 >= 10 && $0 <= 300 }.count
        let links = SimulationReport.Links(
            sampledPairs: rtts.count, rttMilliseconds: rtt,
            rttP10Milliseconds: SimulationReport.Distribution.percentile(rtts, 0.10),
            shareWithin10To300Milliseconds: rtts.isEmpty ? 0 : Double(within) / Double(rtts.count))

        var abandoned = 0, unfinished = 0
        for (key, what) in tracked {
            guard case .measured = what else { continue }
            if nodes[Int(key >> 32)].isUp { unfinished += 1 } else { abandoned += 1 }
        }
        let outcomes = metrics.outcomes
        let successes = outcomes.filter(\.succeeded)
        var histogram = [Int](repeating: 0, count: (successes.map(\.hops).max() ?? 0) + 1)
        for o in successes { histogram[o.hops] += 1 }
        let latency = SimulationReport.Distribution(successes.map { Double($0.latency) / 1e6 })
        let lookups = SimulationReport.Lookups(
            issued: metrics.lookupsIssued, skipped: metrics.lookupsSkipped, finished: outcomes.count,
            abandoned: abandoned, unfinished: unfinished, succeeded: successes.count,
            successRate: outcomes.isEmpty ? 0 : Double(successes.count) / Double(outcomes.count + unfinished),
            hops: SimulationReport.Distribution(successes.map { Double($0.hops) }), hopHistogram: histogram,
            latencyMilliseconds: latency,
            latencyOverMedianRTT: latency.scaled(by: rtt.p50 > 0 ? 1 / rtt.p50 : 0),
            queries: SimulationReport.Distribution(outcomes.map { Double($0.queries) }),
            failedLatencyMilliseconds: SimulationReport.Distribution(outcomes.filter { !$0.succeeded }.map { Double($0.latency) / 1e6 }))

        var contacts = 0, departedContacts = 0, records = 0, maxRecords = 0
        var started = 0, limited = 0, refused = 0
        for node in nodes {
            started += node.dht.statistics.lookupsStarted
            limited += node.dht.statistics.requestsRateLimited
            refused += node.dht.statistics.recordsRefused
            guard node.isUp else { continue }
            contacts += node.dht.table.count
            for c in node.dht.table.allContacts where !(SimulatedAddress.index(of: c.endpoint).map { nodes[$0].isUp } ?? false) {
                departedContacts += 1
            }
            records += node.dht.store.count
            maxRecords = max(maxRecords, node.dht.store.count)
        }
        let upCount = max(1, up.count)
        let membership = SimulationReport.Membership(
            initialNodes: s.nodes, joined: metrics.joined, left: metrics.left, upAtEnd: up.count,
            meanContacts: Double(contacts) / Double(upCount),
            departedContactShare: contacts == 0 ? 0 : Double(departedContacts) / Double(contacts),
            meanRecordsStored: Double(records) / Double(upCount),
            maxRecordsStored: maxRecords, lookupsStarted: started, requestsRateLimited: limited, recordsRefused: refused)

        let simulatedSeconds = Double(now) / 1e9
        var byKind: [String: Int] = [:]
        for (i, name) in Metrics.messageKinds.enumerated() { byKind[name] = metrics.messagesByKind[i] }
        let messages = SimulationReport.Messages(
            sent: metrics.messagesSent, delivered: metrics.messagesDelivered, lost: metrics.messagesLost,
            toDepartedNodes: metrics.messagesToDepartedNodes, blockedByPartition: metrics.messagesBlockedByPartition,
            perNodePerMinute: Double(metrics.messagesSent) / Double(max(1, s.nodes)) / max(1e-9, simulatedSeconds / 60),
            byKind: byKind)

        let setup = SimulationReport.Setup(
            nodes: s.nodes, loss: s.loss, churn: s.churn, lookups: s.lookups, seed: s.seed, joinSeconds: s.joinSeconds,
            settleSeconds: s.settleSeconds, durationSeconds: s.durationSeconds, republishSeconds: s.republishSeconds,
            recordLifetimeSeconds: s.recordLifetimeSeconds, maintenanceSeconds: s.maintenanceSeconds, k: s.dht.k,
            alpha: s.dht.alpha, queryTimeoutMilliseconds: Double(s.dht.queryTimeout.nanosecondsValue) / 1e6,
            bucketRefreshSeconds: s.dht.bucketRefreshInterval.secondsValue,
            staleAfterSeconds: s.dht.staleAfter?.secondsValue, stallsSlowQueries: s.dht.stallsSlowQueries,
            maxFailures: s.dht.maxFailures, dormantPerBucket: s.dht.dormantPerBucket,
            medianRTTMilliseconds: s.link.medianRTTMilliseconds,
            rttSigma: s.link.sigma, partitionStartSeconds: s.partition.map { s.measureStartSeconds + $0.startSeconds },
            partitionDurationSeconds: s.partition?.durationSeconds)

        return SimulationReport(setup: setup, links: links, lookups: lookups, membership: membership, messages: messages,
                                partition: partitionReport(), simulatedSeconds: simulatedSeconds, events: metrics.events,
                                digest: String(metrics.finalDigest, radix: 16), process: nil)
    }

    private func partitionReport() -> SimulationReport.Partition? {
        guard let p = scenario.partition else { return nil }
        let split = Self.nanoseconds(scenario.measureStartSeconds + p.startSeconds)
        let rejoin = Self.nanoseconds(scenario.measureStartSeconds + p.startSeconds + p.durationSeconds)
        let width = Self.nanoseconds(p.binSeconds)
        var before = SimulationReport.Rate(), duringCross = SimulationReport.Rate(), duringSame = SimulationReport.Rate()
        var bins: [SimulationReport.PartitionBin] = []
        for o in metrics.outcomes {
            if o.startedAt < split {
                if o.crossesPartition { before.add(o.succeeded) }
            } else if o.startedAt < rejoin {
                if o.crossesPartition { duringCross.add(o.succeeded) } else { duringSame.add(o.succeeded) }
            } else {
                let b = Int((o.startedAt - rejoin) / width)
                while bins.count <= b {
                    let from = Double(bins.count) * p.binSeconds
                    bins.append(SimulationReport.PartitionBin(fromSeconds: from, toSeconds: from + p.binSeconds,
                                                              crossHalves: .init(), sameHalf: .init()))
                }
                if o.crossesPartition { bins[b].crossHalves.add(o.succeeded) } else { bins[b].sameHalf.add(o.succeeded) }
            }
        }
        var recovered: Double?
        for bin in bins.reversed() {
            guard bin.crossHalves.rate >= 0.99 else { break }
            recovered = bin.fromSeconds
        }
        var halves = [0, 0]
        for i in up { halves[Int(nodes[Int(i)].half)] += 1 }
        return SimulationReport.Partition(halves: halves, bucketRefreshSeconds: scenario.dht.bucketRefreshInterval.secondsValue,
                                          beforeCrossHalves: before, duringCrossHalves: duringCross, duringSameHalf: duringSame,
                                          afterRejoin: bins, recoveredAfterSeconds: recovered)
    }
}
