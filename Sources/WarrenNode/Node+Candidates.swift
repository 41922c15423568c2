import WarrenDHT
import WarrenNAT
import WarrenSession
import WarrenWire

/// The addresses this node publishes in its DHT record for others to reach it at: its own
/// (for peers on the same networks) and the public ones STUN servers and peers see (for
/// everyone behind other NATs). They are checked again every few minutes and the record
/// republished when they change.
extension Node {
    /// The first check waits a few seconds for peers to ask.
    static let firstCandidateCheck: Duration = .seconds(3)
    /// How often the addresses are checked, and how soon again when nobody could be asked.
    static let candidateCheckInterval: Duration = .seconds(300)
    static let candidateRetryInterval: Duration = .seconds(2)
    /// How soon the check runs again when only one server address answered: sessions to
    /// peers made since give it others to ask.
    static let unknownMappingRecheck: Duration = .seconds(30)

    /// The socket's endpoints on this host's own addresses.
    var localEndpoints: [Endpoint] {
        hostAddresses.addresses.map { Endpoint(address: $0, port: settings.listenPort) }
    }

    /// Local candidates with the listen port, then reflexive ones, at most a record's worth.
    func candidates() -> [Endpoint] {
        guard settings.advertise.isEmpty else { return settings.advertise }
        let local = localEndpoints
        return Array((local + reflexive.filter { !local.contains($0) }).prefix(PeerRecord.maxEndpoints))
    }

    func candidateTimers(now: Moment, into actions: inout [SessionAction]) {
        if var probe = candidateProbe {
            for (bytes, server) in probe.poll(now: now.instant) { actions.append(.send(bytes, to: server)) }
            candidateProbe = probe
            if probe.isFinished(now: now.instant) { finishCandidateProbe(probe, now: now, into: &actions) }
            return
        }
        guard now.instant >= nextCandidateCheck, settings.advertise.isEmpty else { return }
        let servers = stunTargets(now: now).map(\.endpoint)
        guard !servers.isEmpty else {
            nextCandidateCheck = now.instant + Self.candidateRetryInterval
            return
        }
        nextCandidateCheck = now.instant + Self.candidateCheckInterval
        var probe = BindingProbe(servers: servers, random: &random)
        for (bytes, server) in probe.poll(now: now.instant) { actions.append(.send(bytes, to: server)) }
        candidateProbe = probe
    }

    private func finishCandidateProbe(_ probe: BindingProbe, now: Moment, into actions: inout [SessionAction]) {
        candidateProbe = nil
        let local = localEndpoints
        var found: [Endpoint] = []
        // Only a mapping servers at two addresses agree on is of use to others: behind an
        // endpoint-dependent NAT what one server saw is for that server alone, and with one
        // server nobody can tell (peers still meet us where a rendezvous node sees us).
        mapping = MappingBehaviour.classify(probe.results, local: local)
        if mapping == .endpointIndependent {
            for e in probe.results.compactMap(\.mapped) where !local.contains(e) && !found.contains(e) { found.append(e) }
        }
        if mapping == .unknown { nextCandidateCheck = now.instant + Self.unknownMappingRecheck }
        if found != reflexive {
            log(.info, "public address changed", [.reflexive: found.map(\.description).joined(separator: ", ")])
            reflexive = found
        }
        // Also when only a local address changed (a new DHCP lease, an interface up), or the
        // rendezvous nodes did (the first session to one is usually up by now).
        if candidates() != publishedEndpoints || rendezvousNodes(now: now) != publishedRendezvous {
            publishRecord(now: now, into: &actions)
        }
    }
}
