import FoundationEssentials
import WarrenLinux
import WarrenNAT
import WarrenSession
import WarrenWire

/// `warren netcheck`: Binding requests from the node's own socket to the configured STUN
/// servers and to a few connected peers (every node answers STUN), then what they saw.
extension Daemon {
    /// Peers asked besides the configured servers: enough at different addresses to tell
    /// the NAT's mapping behaviour, few enough to stay quiet.
    static let netCheckPeers = 4

    /// Who to ask: the configured servers, then connected peers at other addresses.
    func stunTargets(now: Moment) -> [(endpoint: Endpoint, kind: String)] {
        var servers = config.stunServers.map { (endpoint: $0, kind: "stun") }
        for peer in manager.status(now: now.instant) where peer.state == "connected" {
            guard let text = peer.endpoint, let endpoint = Endpoint(text),
                  !servers.contains(where: { $0.endpoint.address == endpoint.address }) else { continue }
            servers.append((endpoint, peer.name ?? "peer"))
            if servers.count >= config.stunServers.count + Self.netCheckPeers { break }
        }
        return servers
    }

    func startNetCheck(for connection: ControlConnection, now: Moment, into actions: inout [SessionAction]) {
        let servers = stunTargets(now: now)
        var check = NetCheck(probe: BindingProbe(servers: servers.map(\.endpoint), random: &random),
                             kinds: servers.map(\.kind), connection: connection)
        for (bytes, server) in check.probe.poll(now: now.instant) { actions.append(.send(bytes, to: server)) }
        netChecks.append(check)
        finishNetChecks(now: now)
    }

    /// A STUN response: for whichever network check (or candidate probe) sent its request.
    func netCheckAnswered(_ response: STUNMessage, now: Moment) -> Bool {
        if candidateProbe?.handle(response, now: now.instant) == true { return true }
        for i in netChecks.indices where netChecks[i].probe.handle(response, now: now.instant) {
            finishNetChecks(now: now)
            return true
        }
        return false
    }

    /// Retransmissions due, and answers for the checks that are done.
    func netCheckTimers(now: Moment, into actions: inout [SessionAction]) {
        for i in netChecks.indices {
            for (bytes, server) in netChecks[i].probe.poll(now: now.instant) { actions.append(.send(bytes, to: server)) }
        }
        finishNetChecks(now: now)
    }

    private func finishNetChecks(now: Moment) {
        guard netChecks.contains(where: { $0.probe.isFinished(now: now.instant) }) else { return }
        let local = localEndpoints()
        netChecks.removeAll { check in
            guard check.probe.isFinished(now: now.instant) else { return false }
            let results = check.probe.results
            let report = NetCheckReport(
                local: local.map(\.description),
                reflexive: Array(Set(results.compactMap { $0.mapped?.description })).sorted(),
                mapping: MappingBehaviour.classify(results, local: local).rawValue,
                udp: results.contains { $0.mapped != nil },
                servers: zip(results, check.kinds).map { r, kind in
                    NetCheckReport.Server(server: r.server.description, kind: kind, mapped: r.mapped?.description,
                                          milliseconds: r.roundTrip.map { Double($0.nanosecondsValue) / 1e6 }, error: r.error)
                })
            try? check.connection.respond((try? JSONEncoder.sorted.encode(report)).map(Array.init) ?? Array("{}".utf8))
            check.connection.close()
            return true
        }
    }
}

/// A `warren netcheck` in progress and who waits for it.
struct NetCheck {
    var probe: BindingProbe
    /// Per server, what it is (see `NetCheckReport.Server.kind`).
    let kinds: [String]
    let connection: ControlConnection
}
