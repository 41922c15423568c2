import WarrenDHT
import WarrenCrypto
import WarrenPKI
import WarrenWire

/// A discrete-event simulation of a Warren DHT: thousands of real `DHTNode`s in one process,
/// exchanging `DHTMessage`s over a `LinkModel`, joining, leaving, publishing their records
/// and looking each other up, on a simulated clock.
///
/// Owns every node and the agenda. `run()` pops events in (time, insertion order) order, hands
/// each to the node it concerns at that simulated `Moment`, and turns the node's actions into
/// new events: `.send` becomes a delivery one link delay later (or nothing, if lost),
/// `.lookupFinished` is measured. Each node's timers run at its `nextDeadline()` and on a
/// slower maintenance tick. Nothing reads a clock or a global random source: the same
/// scenario gives the same report.
public final class Simulation {
    enum Event {
        case deliver(from: Int32, to: Int32, message: DHTMessage)
        case timer(Int32)
        case maintain(Int32)
        case join
        case bootstrap(Int32, attempt: Int)
        case replace
        case publish(Int32)
        case lookup
        case partition(active: Bool)
    }

    enum Tracked {
        case bootstrap(attempt: Int)
        case publish
        case measured(MeasuredLookup)
    }

    struct MeasuredLookup {
        let target: Int32
        let startedAt: UInt64
        let crossesPartition: Bool
    }

    /// Monotonic and wall time at simulated time zero (a node that has been up for a while,
    /// on a plausible date). Certificates are valid throughout.
    static let originInstant: UInt64 = 1_000_000 * 1_000_000_000
    static let originUnixSeconds: UInt64 = 1_800_000_000
    /// Bootstrap nodes a joining node tries before it gives up and starts alone.
    static let bootstrapAttempts = 5

    public let scenario: Scenario
    var link: LinkModel
    let ca: CertificateAuthority
    var queue = EventQueue<Event>()
    var nodes: [SimulatedNode] = []
    var up: [Int32] = []
    var ready: [Int32] = []
    /// Simulated nanoseconds since the start.
    var now: UInt64 = 0
    var partitioned = false
    var tracked: [UInt64: Tracked] = [:]
    var actions: [DHTAction] = []
    var metrics = Metrics()
    /// With `diagnoseFailures`: the messages of each measured lookup in progress.
    var traces: [TraceKey: [TraceEvent]] = [:]
    var tracedRequests: [UInt64: TraceKey] = [:]

    var keyRandom: SimulationRandom
    var workloadRandom: SimulationRandom
    var networkRandom: SimulationRandom
    var dhtRandom: SimulationRandom

    public init(_ scenario: Scenario) {
        self.scenario = scenario
        var master = SimulationRandom(seed: scenario.seed)
        var caRandom = master.split()
        keyRandom = master.split()
        workloadRandom = master.split()
        networkRandom = master.split()
        dhtRandom = master.split()
        link = scenario.link
        link.salt = master.nextWord()
        link.loss = scenario.loss
        ca = try! CertificateAuthority.create(name: "sim", key: SigningKey(random: &caRandom),
                                              ipv4Network: IPPrefix("10.0.0.0/8")!, notBefore: 0,
                                              notAfter: Self.originUnixSeconds * 2)
        let total = scenario.nodes + Int((scenario.churn * Double(scenario.nodes)).rounded())
        precondition(total < SimulatedAddress.capacity, "at most \(SimulatedAddress.capacity) nodes")
        nodes.reserveCapacity(total)
    }

    var moment: Moment {
        Moment(instant: Instant(nanoseconds: Self.originInstant + now),
               unixNanoseconds: Self.originUnixSeconds * 1_000_000_000 + now)
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    // MARK: Running

    /// Runs the scenario to its end and reports what was measured.
    public func run() -> SimulationReport {
        scheduleWorkload()
        let end = Self.nanoseconds(scenario.measureEndSeconds + scenario.drainSeconds)
        while let next = queue.nextTime, next <= end, let event = queue.pop() {
            now = event.time
            metrics.events += 1
            dispatch(event.payload)
        }
        now = end
        return makeReport()
    }

    private func scheduleWorkload() {
        let s = scenario
        queue.push(.join, at: 0)
        for _ in 1..<max(1, s.nodes) {
            queue.push(.join, at: Self.nanoseconds(workloadRandom.unit() * s.joinSeconds))
        }
        let start = s.measureStartSeconds
        let replacements = Int((s.churn * Double(s.nodes)).rounded())
        for _ in 0..<replacements {
            queue.push(.replace, at: Self.nanoseconds(start + workloadRandom.unit() * s.durationSeconds))
        }
        for _ in 0..<s.lookups {
            queue.push(.lookup, at: Self.nanoseconds(start + workloadRandom.unit() * s.durationSeconds))
        }
        if let p = s.partition {
            queue.push(.partition(active: true), at: Self.nanoseconds(start + p.startSeconds))
            queue.push(.partition(active: false), at: Self.nanoseconds(start + p.startSeconds + p.durationSeconds))
        }
    }

    private func dispatch(_ event: Event) {
        switch event {
        case .deliver(let from, let to, let message):
            deliver(message, from: Int(from), to: Int(to))
        case .timer(let i):
            let i = Int(i)
            guard nodes[i].isUp, nodes[i].timerAt == now else { return }
            nodes[i].timerAt = 0
            runTimers(i)
        case .maintain(let i):
            let i = Int(i)
            guard nodes[i].isUp else { return }
            runTimers(i)
            queue.push(.maintain(Int32(i)), at: now + Self.nanoseconds(scenario.maintenanceSeconds))
        case .join:
            join()
        case .bootstrap(let i, let attempt):
            bootstrap(Int(i), attempt: attempt)
        case .replace:
            replace()
        case .publish(let i):
            publish(Int(i))
        case .lookup:
            startMeasuredLookup()
        case .partition(let active):
            partitioned = active
        }
    }

    private func deliver(_ message: DHTMessage, from: Int, to: Int) {
        guard nodes[to].isUp else {
            metrics.messagesToDepartedNodes += 1
            return
        }
        metrics.messagesDelivered += 1
        if scenario.diagnoseFailures { traceDelivered(message, from: from, to: to) }
        let sender = nodes[from].dht.own
        nodes[to].dht.handle(message, from: sender, now: moment, into: &actions)
        process(to)
    }

    private func runTimers(_ i: Int) {
        nodes[i].dht.handleTimers(now: moment, random: &dhtRandom, into: &actions)
        process(i)
    }

    /// Turns node `i`'s actions into events, then arms its timer for its next deadline.
    func process(_ i: Int) {
        for action in actions {
            switch action {
            case .send(let message, let contact):
                send(message, from: i, to: contact)
            case .lookupFinished(let result):
                finished(result, at: i)
            }
        }
        actions.removeAll(keepingCapacity: true)
        guard let deadline = nodes[i].dht.nextDeadline() else { return }
        let at = max(now, deadline.nanoseconds &- Self.originInstant)
        if nodes[i].timerAt == 0 || at < nodes[i].timerAt {
            nodes[i].timerAt = at
            queue.push(.timer(Int32(i)), at: at)
        }
    }

    private func send(_ message: DHTMessage, from i: Int, to contact: Contact) {
        metrics.count(message)
        guard let j = SimulatedAddress.index(of: contact.endpoint), j < nodes.count, j != i else {
            metrics.messagesUnroutable += 1
            return
        }
        let fate: Fate
        if partitioned, nodes[i].half != nodes[j].half {
            metrics.messagesBlockedByPartition += 1
            fate = .cut
        } else if link.loss > 0, networkRandom.unit() < link.loss {
            metrics.messagesLost += 1
            fate = .lost
        } else {
            let delay = link.oneWayNanoseconds(i, j, random: &networkRandom)
            queue.push(.deliver(from: Int32(i), to: Int32(j), message: message), at: now + delay)
            fate = .sent
        }
        if scenario.diagnoseFailures { traceSent(message, from: i, to: j, fate: fate) }
    }

    // MARK: Membership

    private func makeNode() -> Int {
        let index = nodes.count
        var seed = Key32()
        seed.withUnsafeMutableBytes { keyRandom.fill($0) }
        let key = SigningKey(seed: seed.withUnsafeBytes { SecretBytes(copying: $0) })
        let overlay = SimulatedAddress.overlay(of: index)
        let certificate = try! ca.sign(name: "n\(index)", publicKey: key.publicKey,
                                       ipv4: IPPrefix(address: .v4(overlay), length: 8)!, roles: [], subnets: [],
                                       notBefore: 0, notAfter: Self.originUnixSeconds * 2)
        let own = Contact(publicKey: key.publicKey, endpoint: SimulatedAddress.endpoint(of: index))
        let dht = DHTNode(own: own, authority: ca.certificate, settings: scenario.dht, random: &dhtRandom)
        let half = UInt8(mix64(link.salt ^ 0x6861_6C66 ^ UInt64(index)) & 1)
        nodes.append(SimulatedNode(dht: dht, keySeed: seed, certificate: certificate,
                                   addressKey: RecordKey.address(overlay), half: half))
        return index
    }

    /// A new node starts: it knows one random node that has joined, and looks itself up.
    private func join() {
        let i = makeNode()
        nodes[i].upPosition = up.count
        up.append(Int32(i))
        metrics.joined += 1
        let phase = workloadRandom.unit() * scenario.maintenanceSeconds
        queue.push(.maintain(Int32(i)), at: now + Self.nanoseconds(phase))
        guard !ready.isEmpty else {
            becomeReady(i)
            return
        }
        bootstrap(i, attempt: 1)
    }

    /// Learns one random node that has joined and looks itself up through it. A daemon does
    /// the same with the bootstrap nodes of its configuration, and tries the next one when a
    /// lookup found nobody (its query or the answer was lost, or that node has left).
    private func bootstrap(_ i: Int, attempt: Int) {
        guard nodes[i].isUp else { return }
        let through = Int(ready[workloadRandom.index(below: ready.count)])
        nodes[i].dht.learned(nodes[through].dht.own, now: moment.instant, into: &actions)
        let id = nodes[i].dht.findNode(nodes[i].dht.own.id, now: moment.instant, into: &actions)
        tracked[Self.key(i, id)] = .bootstrap(attempt: attempt)
        process(i)
    }

    private func becomeReady(_ i: Int) {
        guard nodes[i].isUp, !nodes[i].isReady else { return }
        nodes[i].isReady = true
        nodes[i].readyPosition = ready.count
        ready.append(Int32(i))
        queue.push(.publish(Int32(i)), at: now)
    }

    /// Churn: a random node leaves without a word and a new one joins.
    private func replace() {
        if !up.isEmpty {
            leave(Int(up[workloadRandom.index(below: up.count)]))
        }
        join()
    }

    private func leave(_ i: Int) {
        guard nodes[i].isUp else { return }
        nodes[i].isUp = false
        metrics.left += 1
        Self.remove(i, from: &up, position: \.upPosition, in: &nodes)
        if nodes[i].isReady {
            Self.remove(i, from: &ready, position: \.readyPosition, in: &nodes)
        }
    }

    private static func remove(_ i: Int, from list: inout [Int32], position: WritableKeyPath<SimulatedNode, Int>,
                               in nodes: inout [SimulatedNode]) {
        let p = nodes[i][keyPath: position]
        let last = list.removeLast()
        if Int(last) != i {
            list[p] = last
            nodes[Int(last)][keyPath: position] = p
        }
        nodes[i][keyPath: position] = -1
    }

    // MARK: Records and lookups

    /// Signs a new version of node `i`'s record and stores it at the closest nodes; again
    /// every `republishSeconds`.
    private func publish(_ i: Int) {
        guard nodes[i].isUp else { return }
        nodes[i].sequence += 1
        let key = SigningKey(seed: nodes[i].keySeed.withUnsafeBytes { SecretBytes(copying: $0) })
        let record = PeerRecord(signing: key, certificate: nodes[i].certificate, endpoints: [nodes[i].dht.own.endpoint],
                                sequence: nodes[i].sequence,
                                expiresAt: moment.unixSeconds + UInt64(scenario.recordLifetimeSeconds))
        let id = nodes[i].dht.publish(record, under: nodes[i].addressKey, now: moment, into: &actions)
        tracked[Self.key(i, id)] = .publish
        process(i)
        queue.push(.publish(Int32(i)), at: now + Self.nanoseconds(scenario.republishSeconds))
    }

    /// A random ready node looks up the record of another random ready node that has
    /// published.
    private func startMeasuredLookup() {
        guard ready.count >= 2 else {
            metrics.lookupsSkipped += 1
            return
        }
        let source = Int(ready[workloadRandom.index(below: ready.count)])
        let settled = Self.nanoseconds(scenario.targetPublishedSeconds)
        var target: Int?
        for _ in 0..<100 {
            let t = Int(ready[workloadRandom.index(below: ready.count)])
            if t != source, let at = nodes[t].publishedAt, at + settled <= now {
                target = t
                break
            }
        }
        guard let target else {
            metrics.lookupsSkipped += 1
            return
        }
        if scenario.diagnoseFailures { traces[TraceKey(node: source, key: nodes[target].addressKey)] = [] }
        let id = nodes[source].dht.findValue(nodes[target].addressKey, for: .address, now: moment.instant, into: &actions)
        tracked[Self.key(source, id)] = .measured(MeasuredLookup(target: Int32(target), startedAt: now,
                                                                 crossesPartition: nodes[source].half != nodes[target].half))
        metrics.lookupsIssued += 1
        process(source)
    }

    private func finished(_ result: LookupResult, at i: Int) {
        guard let what = tracked.removeValue(forKey: Self.key(i, result.id)) else { return }
        switch what {
        case .bootstrap(let attempt):
            if result.closest.isEmpty, attempt < Self.bootstrapAttempts {
                queue.push(.bootstrap(Int32(i), attempt: attempt + 1), at: now)
            } else {
                becomeReady(i)
            }
        case .publish:
            if nodes[i].publishedAt == nil { nodes[i].publishedAt = now }
        case .measured(let m):
            let expected = nodes[Int(m.target)].certificate.encoded
            let found = result.records.contains { $0.certificate == expected }
            if scenario.diagnoseFailures { diagnose(result, found: found, at: i, target: Int(m.target), startedAt: m.startedAt) }
            metrics.record(LookupOutcome(startedAt: m.startedAt, succeeded: found, hops: result.hops,
                                         queries: result.queries, latency: UInt64(result.duration.nanosecondsValue),
                                         crossesPartition: m.crossesPartition))
        }
    }

    static func key(_ node: Int, _ lookup: UInt32) -> UInt64 { UInt64(node) << 32 | UInt64(lookup) }
}
