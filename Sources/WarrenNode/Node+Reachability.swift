import WarrenCircuit
import WarrenCrypto
import WarrenNAT
import WarrenPKI
import WarrenSession
import WarrenWire

/// A relay tests its own reachability before publishing (as a Tor relay tests its ORPort):
/// it asks a few peers to send a STUN Binding request to each endpoint it would list, and
/// lists only the endpoints some peer heard back from. A relay whose every endpoint is
/// silent publishes nothing, and says so: circuits through it would fail to build, and each
/// failure would count against the guard that chose it. One honest peer is enough for an
/// endpoint, so one that lies cannot keep a relay out of the directory.
///
/// A peer already talks to the relay, so a NAT that filters by address lets its probe in
/// where a stranger's would not be: the check finds endpoints that are dead, mistyped, or
/// private to a network the peers are not on, not every filtering NAT.
extension Node {
    /// Peers asked to dial back, and how long their answers are waited for (a probe gives
    /// up after `BindingProbe.timeout`).
    static let reachabilityCheckers = 3
    static let reachabilityPatience: Duration = .seconds(5)
    /// How soon a relay asks again when no peer was connected to ask, and after a check no
    /// endpoint passed.
    static let reachabilityRetry: Duration = .milliseconds(250)
    static let unreachableRetry: Duration = .seconds(30)
    /// A node dials back for each relay at this rate, and at most this many checks at once:
    /// each sends a few STUN requests to addresses the relay chose.
    static let dialBacksPerSecond = 1.0 / 30
    static let dialBackBurst = 4.0
    static let maxDialBacks = 16

    struct ReachabilityCheck {
        let endpoints: [Endpoint]
        var waitingFor: Set<Key32>
        var reached: Set<Endpoint> = []
        let deadline: Instant
    }

    struct DialBack {
        var probe: BindingProbe
        let requester: Key32
        let endpoints: [Endpoint]
    }

    /// Starts a check of `endpoints` before the descriptor that lists them is published;
    /// false if no peer can be asked yet.
    func checkReachability(of endpoints: [Endpoint], now: Moment, into actions: inout [SessionAction]) -> Bool {
        var seen: Set<Key32> = [certificate.publicKey]
        var peers = (settings.bootstrap + dht.table.allContacts).map(\.publicKey)
            .filter { seen.insert($0).inserted && manager.isConnected($0, now: now.instant) }
        guard !peers.isEmpty else { return false }
        random.shuffle(&peers)
        let asked = peers.prefix(Self.reachabilityCheckers)
        let message = DirectoryMessage.reachCheck(endpoints).encoded
        for peer in asked { manager.sendControl(message, to: peer, endpoint: nil, now: now, into: &actions) }
        reachability = ReachabilityCheck(endpoints: endpoints, waitingFor: Set(asked), deadline: now.instant + Self.reachabilityPatience)
        return true
    }

    /// A peer's answer to this relay's check.
    func reached(_ endpoints: [Endpoint], from link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        guard var check = reachability, check.waitingFor.remove(link.publicKey) != nil else {
            drops.count(.unsolicited)
            return
        }
        check.reached.formUnion(endpoints.filter(check.endpoints.contains))
        reachability = check
        if check.waitingFor.isEmpty { finishReachability(now: now, into: &actions) }
    }

    /// Publishes the descriptor with the endpoints that answered, or waits to check again.
    func finishReachability(now: Moment, into actions: inout [SessionAction]) {
        guard let check = reachability, let relay = circuitRelay else { return }
        reachability = nil
        let reachable = check.endpoints.filter(check.reached.contains)
        guard !reachable.isEmpty else {
            nextDescriptor = now.instant + Self.unreachableRetry
            if !unreachableWarned {
                unreachableWarned = true
                log(.warning, "relay not published: no peer reached it at its endpoints",
                    [.endpoint: check.endpoints.map(\.description).joined(separator: " ")])
            }
            return
        }
        unreachableWarned = false
        if reachable.count < check.endpoints.count {
            log(.info, "relay endpoints left out of its descriptor: no peer reached them",
                [.endpoint: check.endpoints.filter { !reachable.contains($0) }.map(\.description).joined(separator: " ")])
        }
        publish(relay, at: reachable, now: now, into: &actions)
    }

    // MARK: Dialling back for others

    /// A relay's request: probe its endpoints from here, answer which replied.
    func dialBack(_ endpoints: [Endpoint], for link: PeerLink, now: Moment, into actions: inout [SessionAction]) {
        // Only relays test themselves, and the probes go only where any DHT contact may be.
        guard link.certificate.body.roles.contains(.relay), dialBacks.count < Self.maxDialBacks else {
            drops.count(.unsolicited)
            return
        }
        guard dialBackLimits.allow(link.publicKey, now: now.instant) else {
            drops.count(.rateLimited)
            return
        }
        let allowed = endpoints.filter { dht.endpointPolicy.admits($0) }
        var dialBack = DialBack(probe: BindingProbe(servers: allowed, random: &random), requester: link.publicKey, endpoints: allowed)
        for (bytes, endpoint) in dialBack.probe.poll(now: now.instant) { actions.append(.send(bytes, to: endpoint)) }
        dialBacks.append(dialBack)
        finishDialBacks(now: now, into: &actions)
    }

    func reachabilityTimers(now: Moment, into actions: inout [SessionAction]) {
        if let check = reachability, now.instant >= check.deadline { finishReachability(now: now, into: &actions) }
        for i in dialBacks.indices {
            for (bytes, endpoint) in dialBacks[i].probe.poll(now: now.instant) { actions.append(.send(bytes, to: endpoint)) }
        }
        finishDialBacks(now: now, into: &actions)
    }

    /// A STUN answer to one of the dial-backs.
    func dialBackAnswered(_ response: STUNMessage, from source: Endpoint, now: Moment, into actions: inout [SessionAction]) -> Bool {
        for i in dialBacks.indices where dialBacks[i].probe.handle(response, from: source, now: now.instant) {
            finishDialBacks(now: now, into: &actions)
            return true
        }
        return false
    }

    /// Answers the relays whose dial-backs are done.
    private func finishDialBacks(now: Moment, into actions: inout [SessionAction]) {
        let done = dialBacks.filter { $0.probe.isFinished(now: now.instant) }
        guard !done.isEmpty else { return }
        dialBacks.removeAll { $0.probe.isFinished(now: now.instant) }
        for dialBack in done {
            let answered = dialBack.endpoints.filter { endpoint in dialBack.probe.results.contains { $0.server == endpoint && $0.mapped != nil } }
            manager.sendControl(DirectoryMessage.reached(answered).encoded, to: dialBack.requester, endpoint: nil, now: now, into: &actions)
        }
    }

    var reachabilityDeadline: Instant? {
        var deadline = reachability?.deadline
        for dialBack in dialBacks {
            if let next = dialBack.probe.nextDeadline(), deadline.map({ next < $0 }) ?? true { deadline = next }
        }
        return deadline
    }
}
