public import WarrenCrypto
public import WarrenWire

/// A sender's circuits: one in use for new flows and a spare built ahead, each replaced
/// after `replaceAfter` for new flows while the flows already on it stay there (a flow that
/// moved to another last hop would reach its destination from another address, which breaks
/// it). Builds go through the current guard (`GuardSet`) on paths `CircuitPath` chooses from
/// the relay directory's list, never from what a lookup turned up.
///
/// A circuit's flows belong to a token, a random secret the sender attaches to the circuit
/// at the last hop (`CircuitCommand.attach`). A circuit that carries flows and hears nothing
/// back is probed; one whose probe goes unanswered has lost a hop, and a replacement is
/// built at once through the same last hop (a new middle, the same guard unless it is lost)
/// and attached to the same token, so the flows keep their translations and TCP inside
/// survives.
///
/// Sans-I/O: it takes circuit messages from guards and the time, and returns `Event`s.
public final class CircuitPool {
    /// Circuits ready for new flows: the one in use and a spare.
    public static let readyCount = 2
    /// After this, a circuit takes no new flows; one no flow used for `flowIdleLifetime`
    /// since is let go.
    public static let replaceAfter: Duration = .seconds(600)
    public static let flowIdleLifetime: Duration = .seconds(120)
    /// Flows followed at once; the least recently used is forgotten past it (its next packet
    /// counts as a new flow).
    public static let maxFlows = 4096
    /// After a failed build the next waits this long, doubling with each failure in a row
    /// up to `maxBuildDelay`: the first replacement goes at once, a dead network is not
    /// hammered.
    public static let firstBuildDelay: Duration = .milliseconds(500)
    public static let maxBuildDelay: Duration = .seconds(30)
    /// A circuit that sent since it last heard anything back, and has heard nothing for this
    /// long, is probed; so is one silent for `idleProbeInterval`. A probe unanswered for
    /// three round trips (at least `minimumProbeTimeout`) means a hop is gone.
    public static let probeAfter: Duration = .milliseconds(500)
    public static let idleProbeInterval: Duration = .seconds(30)
    public static let minimumProbeTimeout: Duration = .seconds(1)

    public typealias Link = CircuitRelay.Link

    /// A built circuit, as `warren circuits` shows it.
    public struct Circuit {
        public let link: Link
        public let path: [CircuitRelayInfo]
        public let builtAt: Instant
        public let buildTime: Duration
        /// The round trip to the last hop, as its extend took while the circuit was built.
        public let roundTrip: Duration
        /// Whose flows it carries.
        public let token: UInt128
        var probe: (nonce: UInt64, sentAt: Instant)?
        /// Its end and its counts, shared with the packet threads (`CircuitSending`).
        let lane: CircuitSending.Lane

        var origin: CircuitOrigin { lane.origin }
        public var bytesSent: Int { Int(lane.traffic.sentBytes.load(ordering: .relaxed)) }
        public var bytesReceived: Int { Int(lane.traffic.receivedBytes.load(ordering: .relaxed)) }
        var lastSent: Instant? { lane.traffic.lastSent }
        var lastReceived: Instant {
            get { lane.traffic.lastReceived ?? builtAt }
            nonmutating set { lane.traffic.lastReceived = newValue }
        }

        var probeTimeout: Duration { max(CircuitPool.minimumProbeTimeout, roundTrip * 3) }
    }

    public enum Event: Equatable, Sendable {
        case send(CircuitMessage, to: Key32)
        case built(path: [Key32], after: Duration)
        case buildFailed(CircuitBuildError, path: [Key32])
        /// A circuit's probe went unanswered: a hop is gone; a replacement is being built.
        case lost(path: [Key32])
        /// A guard whose build success rate fell below one of `GuardSet.warningRates`.
        case guardUnreliable(Key32, successRate: Double)
        /// No path obeys the rules among the relays listed (too few of them, or in too few
        /// networks and families).
        case noPath(relays: Int)
        /// A packet from beyond the last hop.
        case received([UInt8])
    }

    struct Build {
        let build: CircuitBuild
        let path: [CircuitRelayInfo]
        let startedAt: Instant
        var lastSentAt: Instant
        /// The token of the circuit it replaces, whose flows it takes over.
        let replacing: UInt128?
    }

    public let hops: Int
    public private(set) var guards: GuardSet
    public private(set) var circuits: [Link: Circuit] = [:] {
        didSet { sendingVersion &+= 1 }
    }
    private var builds: [Link: Build] = [:]
    /// Each flow's token, and the circuit each token's flows go on now.
    private var flows: [Int: CircuitSending.Flow] = [:] {
        didSet { sendingVersion &+= 1 }
    }
    private var carriers: [UInt128: Link] = [:] {
        didSet { sendingVersion &+= 1 }
    }
    /// Changes with the flows, circuits and carriers `sending` publishes.
    public private(set) var sendingVersion = 0
    private var random: any RandomSource
    /// Whether the last attempt found no path, so it is reported once, not at every tick.
    private var reportedNoPath = false
    private var failuresInARow = 0
    private var nextBuildAt: Instant = .zero
    /// Circuits built before this take no new flows (`renew`).
    private var renewedAt: Instant = .zero

    public init(hops: Int, guards: GuardSet, random: any RandomSource) {
        precondition((1...CircuitOrigin.maxHops).contains(hops))
        self.hops = hops
        self.guards = guards
        self.random = random
    }

    public var buildingCount: Int { builds.count }

    /// Whether `circuit` takes new flows: younger than `replaceAfter`, and built since the
    /// last `renew`.
    public func isFresh(_ circuit: Circuit, now: Instant) -> Bool {
        now.since(circuit.builtAt) < Self.replaceAfter && circuit.builtAt >= renewedAt
    }

    /// New flows go on circuits built from now on (`warren circuits --renew`, as Tor's
    /// NEWNYM): later connections look unrelated to earlier ones. Flows already on a circuit
    /// stay there until idle; circuits without flows are let go at once.
    public func renew(now: Instant) {
        renewedAt = now
        let carrying = Set(flows.values.map(\.token))
        for (link, circuit) in circuits where !carrying.contains(circuit.token) { close(link) }
        nextBuildAt = now
    }

    /// The table the packet threads send and receive with (`CircuitSending`), as it is now.
    public func sending(padding: CircuitPadding, ownAddress: IPv4Address) -> CircuitSending {
        var table = CircuitSending()
        table.padding = padding
        table.ownAddress = ownAddress
        for circuit in circuits.values { table.lanes[circuit.link] = circuit.lane }
        for (key, flow) in flows {
            guard let link = carriers[flow.token], let lane = table.lanes[link] else { continue }
            table.flows[key] = CircuitSending.Pinned(flow: flow, lane: lane)
        }
        return table
    }

    /// The circuit new flows go on now (to a destination none of its hops is).
    public func newest(now: Instant) -> Circuit? {
        circuits.values.filter { isFresh($0, now: now) }.max { $0.builtAt < $1.builtAt }
    }

    /// Flows on each circuit.
    public var flowCounts: [Link: Int] {
        flows.values.reduce(into: [:]) { counts, flow in
            if let link = carriers[flow.token] { counts[link, default: 0] += 1 }
        }
    }

    /// Times out builds, probes silent circuits and replaces those that lost a hop, lets old
    /// circuits go, and builds what is missing from `relays` (the directory's list), none of
    /// whose hops may be in `excluded` (this node).
    public func maintain(relays: [CircuitRelayInfo], excluding excluded: Set<Key32>, now: Moment, into events: inout [Event]) {
        for (link, pending) in builds {
            guard case .failed(let error) = pending.build.handleTimeout(now: now.instant) else { continue }
            builds[link] = nil
            failed(pending.path, replacing: pending.replacing, error, now: now, into: &events)
        }
        checkLiveness(relays: relays, excluding: excluded, now: now, into: &events)
        for (link, circuit) in circuits where !isFresh(circuit, now: now.instant) {
            let lastUsed = flows.values.lazy.filter { $0.token == circuit.token }.map(\.lastUsedAt).max() ?? circuit.builtAt
            if now.instant.since(lastUsed) >= Self.flowIdleLifetime { close(link) }
        }
        let kept = flows.filter { carriers[$0.value.token] != nil && now.instant.since($0.value.lastUsedAt) < Self.flowIdleLifetime }
        if kept.count != flows.count { flows = kept }
        guards.update(listed: relays, now: now.unixSeconds, random: &random)
        let listed = Set(relays.map(\.node)).subtracting(excluded)
        while freshCount(now: now.instant) + builds.count < Self.readyCount, now.instant >= nextBuildAt {
            guard let guardNode = guards.current(listed: listed, now: now.unixSeconds),
                  let path = choosePath(through: guardNode, relays: relays, excluding: excluded) else {
                if !reportedNoPath { events.append(.noPath(relays: relays.count)) }
                reportedNoPath = true
                return
            }
            reportedNoPath = false
            guard startBuild(path, replacing: nil, now: now, into: &events) else { return }
        }
    }

    /// A circuit message from `peer`: true if it was for one of this pool's circuits (else
    /// it may be for this node's relay).
    public func handle(_ message: CircuitMessage, from peer: Key32, now: Moment, into events: inout [Event]) -> Bool {
        let link = Link(peer: peer, circuitID: message.circuitID)
        if let pending = builds[link] {
            switch pending.build.handle(message, random: &random) {
            case .send(let next):
                builds[link]?.lastSentAt = now.instant
                events.append(.send(next, to: peer))
            case .built:
                builds[link] = nil
                built(pending, link: link, now: now, into: &events)
            case .failed(let error):
                builds[link] = nil
                failed(pending.path, replacing: pending.replacing, error, now: now, into: &events)
            case .ignored:
                break
            }
            return true
        }
        guard message.kind == .backward, let circuit = circuits[link] else { return false }
        var body = message.body
        guard circuit.origin.open(message.counter, &body) else { return true }
        if CircuitCommand.isCommand(body) {
            heard(body, on: link, now: now.instant)
        } else {
            circuit.lane.traffic.received(body.count, now: now.instant)
            circuits[link]?.probe = nil
            events.append(.received(body))
        }
        return true
    }

    /// A command back on `link`'s circuit, its layers already taken off (here, or by the
    /// inbound packet thread: `CircuitSending.open`).
    public func heard(_ command: [UInt8], on link: Link, now: Instant) {
        guard let circuit = circuits[link] else { return }
        circuit.lastReceived = now
        if case .probeReply(let nonce)? = try? CircuitCommand(parsing: command), circuit.probe?.nonce == nonce {
            circuits[link]?.probe = nil
        }
    }

    /// Seals `packet` for the circuit flow `flow` is on (the newest one for a new flow, among
    /// those with no hop at `destination`): the message to send to that circuit's guard, or
    /// nil with no circuit ready (or the flow's circuit being replaced).
    public func seal(_ packet: [UInt8], flow: Int, avoiding destination: IPv4Address, now: Instant) -> (CircuitMessage, to: Key32)? {
        let token: UInt128
        if let pinned = flows[flow], carriers[pinned.token] != nil || builds.values.contains(where: { $0.replacing == pinned.token }) {
            token = pinned.token
        } else if let newest = circuits.values.filter({ circuit in
            isFresh(circuit, now: now) && !circuit.path.contains { $0.overlay == .v4(destination) }
        }).max(by: { $0.builtAt < $1.builtAt }) {
            token = newest.token
            if flows.count >= Self.maxFlows, let oldest = flows.min(by: { $0.value.lastUsedAt < $1.value.lastUsedAt }) {
                flows[oldest.key] = nil
            }
        } else {
            return nil
        }
        if let pinned = flows[flow], pinned.token == token {
            pinned.used(now: now)
        } else {
            flows[flow] = CircuitSending.Flow(token: token, now: now)
        }
        guard let link = carriers[token], let circuit = circuits[link] else { return nil }
        var body = packet
        guard let counter = circuit.origin.seal(&body) else {
            close(link)
            return nil
        }
        circuit.lane.traffic.sent(packet.count, now: now)
        return (CircuitMessage(kind: .forward, circuitID: link.circuitID, counter: counter, body: body), link.peer)
    }

    /// `node` went away (its session is lost): every circuit and build through it as guard
    /// is gone; circuits with flows are replaced through another guard at once, the others
    /// at the next `maintain`.
    public func lost(_ node: Key32, relays: [CircuitRelayInfo], excluding excluded: Set<Key32>, now: Moment, into events: inout [Event]) {
        guards.unreachable(node, now: now.unixSeconds)
        for (link, pending) in builds where link.peer == node {
            builds[link] = nil
            failed(pending.path, replacing: pending.replacing, .timedOut(hop: 0), now: now, into: &events)
        }
        for (link, circuit) in circuits where link.peer == node {
            replace(circuit, avoiding: [node], relays: relays, excluding: excluded, now: now, into: &events)
        }
    }

    // MARK: Liveness

    private func checkLiveness(relays: [CircuitRelayInfo], excluding excluded: Set<Key32>, now: Moment, into events: inout [Event]) {
        for (link, circuit) in circuits {
            if let probe = circuit.probe {
                // Anything back since (data the packet thread took) proves every hop is there.
                if circuit.lastReceived > probe.sentAt {
                    circuits[link]?.probe = nil
                    continue
                }
                guard now.instant.since(probe.sentAt) >= circuit.probeTimeout else { continue }
                events.append(.lost(path: circuit.path.map(\.node)))
                // Which hop is gone cannot be told from here: keep the guard (its session
                // is up, or `lost` would have been called) and the last hop, change the rest.
                replace(circuit, avoiding: Set(circuit.path.dropFirst().dropLast().map(\.node)), relays: relays,
                        excluding: excluded, now: now, into: &events)
                continue
            }
            let silent = now.instant.since(circuit.lastReceived)
            let waiting = circuit.lastSent.map { $0 >= circuit.lastReceived } ?? false
            guard (waiting && silent >= Self.probeAfter) || silent >= Self.idleProbeInterval else { continue }
            let nonce: UInt64 = random.next()
            var body = CircuitCommand.probe(nonce: nonce).encoded
            guard let counter = circuit.origin.seal(&body) else { continue }
            circuits[link]?.probe = (nonce, now.instant)
            // An idle circuit's next probe waits its interval again, answered or not.
            if !waiting { circuit.lastReceived = now.instant }
            events.append(.send(CircuitMessage(kind: .forward, circuitID: link.circuitID, counter: counter, body: body), to: link.peer))
        }
    }

    /// Closes `circuit` and, if flows are on it, builds one through its last hop to take them
    /// over, none of whose other hops is in `avoiding`.
    private func replace(_ circuit: Circuit, avoiding: Set<Key32>, relays: [CircuitRelayInfo], excluding excluded: Set<Key32>,
                         now: Moment, into events: inout [Event]) {
        close(circuit.link, keepingFlows: true)
        guard flows.values.contains(where: { $0.token == circuit.token }), let last = circuit.path.last else { return }
        let usable = relays.filter { !avoiding.contains($0.node) || $0.node == last.node }
        let listed = Set(usable.map(\.node)).subtracting(excluded).subtracting([last.node])
        guard let guardNode = circuit.path.count > 1 && !avoiding.contains(circuit.link.peer) ? circuit.link.peer
                : guards.current(listed: listed, now: now.unixSeconds),
              let entry = usable.first(where: { $0.node == guardNode }),
              let path = circuit.path.count == 1 ? [last]
                : CircuitPath.choose(hops: circuit.path.count, entry: entry, last: last, among: usable, excluding: excluded,
                                     random: &random) else {
            unpin(circuit.token)
            return
        }
        if !startBuild(path, replacing: circuit.token, now: now, into: &events) { unpin(circuit.token) }
    }

    // MARK: Builds

    @discardableResult
    private func startBuild(_ path: [CircuitRelayInfo], replacing token: UInt128?, now: Moment, into events: inout [Event]) -> Bool {
        let link = Link(peer: path[0].node, circuitID: freeCircuitID(towards: path[0].node))
        let specs = path.map { CircuitHopSpec(node: $0.node, onionKey: $0.onionKey) }
        guard let build = CircuitBuild(path: specs, circuitID: link.circuitID, random: &random, now: now.instant) else {
            failed(path, replacing: token, .badReply(hop: 0), now: now, into: &events)
            return false
        }
        builds[link] = Build(build: build, path: path, startedAt: now.instant, lastSentAt: now.instant, replacing: token)
        events.append(.send(build.create, to: link.peer))
        return true
    }

    private func built(_ pending: Build, link: Link, now: Moment, into events: inout [Event]) {
        failuresInARow = 0
        let took = now.instant.since(pending.startedAt)
        let token = pending.replacing ?? random.next()
        let circuit = Circuit(link: link, path: pending.path, builtAt: now.instant, buildTime: took,
                              roundTrip: now.instant.since(pending.lastSentAt), token: token,
                              lane: CircuitSending.Lane(link: link, origin: pending.build.origin))
        // First of all, tell the last hop whose flows this circuit carries.
        var attach = CircuitCommand.attach(token: token).encoded
        if let counter = circuit.origin.seal(&attach) {
            events.append(.send(CircuitMessage(kind: .forward, circuitID: link.circuitID, counter: counter, body: attach), to: link.peer))
        }
        circuits[link] = circuit
        carriers[token] = link
        if let rate = guards.recordBuild(through: link.peer, succeeded: true, now: now.unixSeconds) {
            events.append(.guardUnreliable(link.peer, successRate: rate))
        }
        events.append(.built(path: pending.path.map(\.node), after: took))
    }

    private func failed(_ path: [CircuitRelayInfo], replacing token: UInt128?, _ error: CircuitBuildError, now: Moment,
                        into events: inout [Event]) {
        if failuresInARow > 0 {
            let delay = Self.firstBuildDelay * (1 << min(failuresInARow - 1, 10))
            nextBuildAt = now.instant + min(delay, Self.maxBuildDelay)
        }
        failuresInARow += 1
        if let token { unpin(token) }
        switch error {
        case .timedOut(hop: 0), .badReply(hop: 0): guards.unreachable(path[0].node, now: now.unixSeconds)
        case .timedOut, .badReply: break
        }
        if let rate = guards.recordBuild(through: path[0].node, succeeded: false, now: now.unixSeconds) {
            events.append(.guardUnreliable(path[0].node, successRate: rate))
        }
        events.append(.buildFailed(error, path: path.map(\.node)))
    }

    // MARK: Helpers

    private func close(_ link: Link, keepingFlows: Bool = false) {
        guard let circuit = circuits.removeValue(forKey: link) else { return }
        if carriers[circuit.token] == link { carriers[circuit.token] = nil }
        if !keepingFlows { unpin(circuit.token) }
    }

    /// The flows of `token` lost their last hop: their next packets start new flows.
    private func unpin(_ token: UInt128) {
        flows = flows.filter { $0.value.token != token }
    }

    private func freshCount(now: Instant) -> Int {
        circuits.values.count(where: { isFresh($0, now: now) })
    }

    private func choosePath(through guardNode: Key32, relays: [CircuitRelayInfo], excluding excluded: Set<Key32>) -> [CircuitRelayInfo]? {
        guard let entry = relays.first(where: { $0.node == guardNode }) else { return nil }
        return CircuitPath.choose(hops: hops, entry: entry, among: relays, excluding: excluded, random: &random)
    }

    /// A random nonzero ID this pool uses for no circuit towards `peer`.
    private func freeCircuitID(towards peer: Key32) -> UInt32 {
        while true {
            let id: UInt32 = random.next()
            let link = Link(peer: peer, circuitID: id)
            if id != 0, circuits[link] == nil, builds[link] == nil { return id }
        }
    }
}
