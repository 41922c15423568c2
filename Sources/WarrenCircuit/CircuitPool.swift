public import WarrenCrypto
public import WarrenWire

/// A sender's circuits: one in use for new flows and a spare built ahead, each replaced
/// after `replaceAfter` for new flows while the flows already on it stay there (a flow that
/// moved would reach its destination from another last hop, which breaks it). Builds go
/// through the current guard (`GuardSet`) on paths `CircuitPath` chooses from the relay
/// directory's list, never from what a lookup turned up.
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

    public typealias Link = CircuitRelay.Link

    /// A built circuit, as `warren circuits` shows it.
    public struct Circuit {
        public let link: Link
        public let path: [CircuitRelayInfo]
        public let builtAt: Instant
        public let buildTime: Duration
        /// The round trip to the last hop, as its extend took while the circuit was built.
        public let roundTrip: Duration
        public internal(set) var bytesSent = 0
        public internal(set) var bytesReceived = 0
        let origin: CircuitOrigin
    }

    public enum Event: Equatable, Sendable {
        case send(CircuitMessage, to: Key32)
        case built(path: [Key32], after: Duration)
        case buildFailed(CircuitBuildError, path: [Key32])
        /// A guard whose build success rate fell below one of `GuardSet.warningRates`.
        case guardUnreliable(Key32, successRate: Double)
        /// No path obeys the rules among the relays listed (too few of them, or in too few
        /// networks and families).
        case noPath(relays: Int)
        /// A packet from beyond the last hop.
        case received([UInt8])
    }

    public let hops: Int
    public private(set) var guards: GuardSet
    public private(set) var circuits: [Link: Circuit] = [:]
    private var builds: [Link: (build: CircuitBuild, path: [CircuitRelayInfo], startedAt: Instant, lastSentAt: Instant)] = [:]
    private var flows: [Int: (link: Link, lastUsed: Instant)] = [:]
    private var random: any RandomSource
    /// Whether the last attempt found no path, so it is reported once, not at every tick.
    private var reportedNoPath = false
    private var failuresInARow = 0
    private var nextBuildAt: Instant = .zero

    public init(hops: Int, guards: GuardSet, random: any RandomSource) {
        precondition((1...CircuitOrigin.maxHops).contains(hops))
        self.hops = hops
        self.guards = guards
        self.random = random
    }

    public var buildingCount: Int { builds.count }

    /// The circuit new flows go on now (to a destination none of its hops is).
    public func newest(now: Instant) -> Circuit? {
        circuits.values.filter { now.since($0.builtAt) < Self.replaceAfter }.max { $0.builtAt < $1.builtAt }
    }

    /// Flows on each circuit.
    public var flowCounts: [Link: Int] {
        flows.values.reduce(into: [:]) { $0[$1.link, default: 0] += 1 }
    }

    /// Times out builds, lets old circuits go, and builds what is missing from `relays` (the
    /// directory's list), none of whose hops may be in `excluded` (this node, destinations).
    public func maintain(relays: [CircuitRelayInfo], excluding excluded: Set<Key32>, now: Moment, into events: inout [Event]) {
        for (link, pending) in builds {
            guard case .failed(let error) = pending.build.handleTimeout(now: now.instant) else { continue }
            builds[link] = nil
            failed(pending.path, error, now: now, into: &events)
        }
        for (link, circuit) in circuits where now.instant.since(circuit.builtAt) >= Self.replaceAfter {
            let lastUsed = flows.values.lazy.filter { $0.link == link }.map(\.lastUsed).max() ?? circuit.builtAt
            if now.instant.since(lastUsed) >= Self.flowIdleLifetime { close(link) }
        }
        flows = flows.filter { circuits[$0.value.link] != nil && now.instant.since($0.value.lastUsed) < Self.flowIdleLifetime }
        guards.update(listed: relays, now: now.unixSeconds, random: &random)
        let listed = Set(relays.map(\.node)).subtracting(excluded)
        while freshCount(now: now.instant) + builds.count < Self.readyCount, now.instant >= nextBuildAt {
            guard let path = choosePath(relays: relays, listed: listed, excluding: excluded, now: now) else {
                if !reportedNoPath { events.append(.noPath(relays: relays.count)) }
                reportedNoPath = true
                return
            }
            reportedNoPath = false
            let link = Link(peer: path[0].node, circuitID: freeCircuitID(towards: path[0].node))
            let specs = path.map { CircuitHopSpec(node: $0.node, onionKey: $0.onionKey) }
            guard let build = CircuitBuild(path: specs, circuitID: link.circuitID, random: &random, now: now.instant) else {
                failed(path, .badReply(hop: 0), now: now, into: &events)
                return
            }
            builds[link] = (build, path, now.instant, now.instant)
            events.append(.send(build.create, to: link.peer))
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
                failuresInARow = 0
                let took = now.instant.since(pending.startedAt)
                circuits[link] = Circuit(link: link, path: pending.path, builtAt: now.instant, buildTime: took,
                                         roundTrip: now.instant.since(pending.lastSentAt), origin: pending.build.origin)
                if let rate = guards.recordBuild(through: peer, succeeded: true, now: now.unixSeconds) {
                    events.append(.guardUnreliable(peer, successRate: rate))
                }
                events.append(.built(path: pending.path.map(\.node), after: took))
            case .failed(let error):
                builds[link] = nil
                failed(pending.path, error, now: now, into: &events)
            case .ignored:
                break
            }
            return true
        }
        guard message.kind == .backward, var circuit = circuits[link] else { return false }
        var body = message.body
        guard circuit.origin.open(message.counter, &body), !CircuitCommand.isCommand(body) else { return true }
        circuit.bytesReceived += body.count
        circuits[link] = circuit
        events.append(.received(body))
        return true
    }

    /// Seals `packet` for the circuit flow `flow` is on (the newest one for a new flow, among
    /// those with no hop at `destination`): the message to send to that circuit's guard, or
    /// nil with no circuit ready.
    public func seal(_ packet: [UInt8], flow: Int, avoiding destination: IPv4Address, now: Instant) -> (CircuitMessage, to: Key32)? {
        let link: Link
        if let pinned = flows[flow], circuits[pinned.link] != nil {
            link = pinned.link
        } else if let newest = circuits.values.filter({ circuit in
            now.since(circuit.builtAt) < Self.replaceAfter && !circuit.path.contains { $0.overlay == .v4(destination) }
        }).max(by: { $0.builtAt < $1.builtAt }) {
            link = newest.link
            if flows.count >= Self.maxFlows, let oldest = flows.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                flows[oldest.key] = nil
            }
        } else {
            return nil
        }
        flows[flow] = (link, now)
        guard var circuit = circuits[link] else { return nil }
        var body = packet
        guard let counter = circuit.origin.seal(&body) else {
            close(link)
            return nil
        }
        circuit.bytesSent += packet.count
        circuits[link] = circuit
        return (CircuitMessage(kind: .forward, circuitID: link.circuitID, counter: counter, body: body), link.peer)
    }

    /// `node` went away (its session is lost): every circuit and build through it as guard
    /// is gone, and the next `maintain` builds their replacements.
    public func lost(_ node: Key32, now: Moment, into events: inout [Event]) {
        for link in circuits.keys where link.peer == node { close(link) }
        for (link, pending) in builds where link.peer == node {
            builds[link] = nil
            failed(pending.path, .timedOut(hop: 0), now: now, into: &events)
        }
    }

    private func close(_ link: Link) {
        circuits[link] = nil
        flows = flows.filter { $0.value.link != link }
    }

    private func freshCount(now: Instant) -> Int {
        circuits.values.count(where: { now.since($0.builtAt) < Self.replaceAfter })
    }

    private func choosePath(relays: [CircuitRelayInfo], listed: Set<Key32>, excluding excluded: Set<Key32>,
                            now: Moment) -> [CircuitRelayInfo]? {
        guard let guardNode = guards.current(listed: listed, now: now.unixSeconds),
              let entry = relays.first(where: { $0.node == guardNode }) else { return nil }
        return CircuitPath.choose(hops: hops, entry: entry, among: relays, excluding: excluded, random: &random)
    }

    private func failed(_ path: [CircuitRelayInfo], _ error: CircuitBuildError, now: Moment, into events: inout [Event]) {
        if failuresInARow > 0 {
            let delay = Self.firstBuildDelay * (1 << min(failuresInARow - 1, 10))
            nextBuildAt = now.instant + min(delay, Self.maxBuildDelay)
        }
        failuresInARow += 1
        if let rate = guards.recordBuild(through: path[0].node, succeeded: false, now: now.unixSeconds) {
            events.append(.guardUnreliable(path[0].node, successRate: rate))
        }
        events.append(.buildFailed(error, path: path.map(\.node)))
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
