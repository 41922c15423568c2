import WarrenNAT
import WarrenSession
import WarrenWire

/// `warren netcheck`: Binding requests from the node's own socket to the configured STUN
/// servers and to a few connected peers (every node answers STUN), then what they saw, and
/// how the NAT filters, where a configured server supports RFC 5780.
extension Node {
    /// Peers asked besides the configured servers: enough at different addresses to tell
    /// the NAT's mapping behaviour, few enough to stay quiet.
    static let netCheckPeers = 4

    /// The address of a configured server, or why there is none (nil: not resolved yet).
    func address(of server: HostPort) -> STUNServerAddress? {
        if let endpoint = server.endpoint { return .resolved(endpoint) }
        return stunServerAddresses[server]
    }

    /// Who to ask: the configured servers whose address is known, then connected peers at
    /// other addresses. `name` is the configured name of a server given by one.
    func stunTargets(now: Moment) -> [STUNTarget] {
        var servers: [STUNTarget] = []
        for server in settings.stunServers {
            guard case .resolved(let endpoint)? = address(of: server) else { continue }
            servers.append(STUNTarget(endpoint: endpoint, kind: "stun", name: server.endpoint == nil ? server.description : nil,
                                      isConfigured: true))
        }
        let configured = servers.count
        for peer in manager.connectedPeers(now: now.instant) {
            guard !servers.contains(where: { $0.endpoint.address == peer.endpoint.address }) else { continue }
            servers.append(STUNTarget(endpoint: peer.endpoint, kind: peer.name, name: nil, isConfigured: false))
            if servers.count >= configured + Self.netCheckPeers { break }
        }
        return servers
    }

    /// Configured servers that could not be asked, as report lines saying why.
    func unresolvedSTUNServers() -> [NetCheckReport.Server] {
        settings.stunServers.compactMap { server in
            let reason: String
            switch address(of: server) {
            case .resolved?: return nil
            case .failed(let failure)?: reason = "cannot resolve: \(failure)"
            case nil: reason = "not resolved yet"
            }
            return NetCheckReport.Server(server: server.description, kind: "stun", name: server.description, error: reason)
        }
    }

    func startNetCheck(for request: RequestID, now: Moment, into actions: inout [SessionAction]) {
        let servers = stunTargets(now: now)
        // Plain requests to everyone, whose answers come first in the results; configured
        // servers are also asked for RFC 5780's filtering tests (peers do not support them).
        let filteringTests = servers.filter(\.isConfigured).flatMap { server in
            [BindingProbe.Change([.address, .port]), .port].map { (server: server.endpoint, change: $0) }
        }
        var check = NetCheck(probe: BindingProbe(requests: servers.map { ($0.endpoint, []) } + filteringTests, random: &random),
                             targets: servers, request: request)
        for (bytes, server) in check.probe.poll(now: now.instant) { actions.append(.send(bytes, to: server)) }
        netChecks.append(check)
        finishNetChecks(now: now)
    }

    /// A configured server that names its other address (RFC 5780 OTHER-ADDRESS) is asked
    /// there too, once the first requests are done: the two answers of one such server tell
    /// the NAT's mapping, where before it took two servers. Not sooner: a request to the
    /// other address opens a restricted NAT to it, and answers to the filtering tests
    /// still being retransmitted would then get in. Only configured servers are followed,
    /// and only to addresses a message may point this node at.
    private func askOtherAddresses(of i: Int) {
        let plain = netChecks[i].probe.results.filter(\.change.isEmpty)
        for (result, target) in zip(plain, netChecks[i].targets) where target.isConfigured {
            guard let other = result.other, !manager.endpointPolicy.admitted([other]).isEmpty,
                  netChecks[i].probe.ask(other, random: &random) else { continue }
            netChecks[i].targets.append(STUNTarget(endpoint: other, kind: "stun other address", name: target.name,
                                                   isConfigured: false))
        }
    }

    /// Retransmissions due, and answers for the checks that are done.
    func netCheckTimers(now: Moment, into actions: inout [SessionAction]) {
        for i in netChecks.indices {
            for (bytes, server) in netChecks[i].probe.poll(now: now.instant) { actions.append(.send(bytes, to: server)) }
        }
        finishNetChecks(now: now)
    }

    func finishNetChecks(now: Moment) {
        for i in netChecks.indices where netChecks[i].probe.isFinished(now: now.instant) { askOtherAddresses(of: i) }
        guard netChecks.contains(where: { $0.probe.isFinished(now: now.instant) }) else { return }
        let local = localEndpoints
        netChecks.removeAll { check in
            guard check.probe.isFinished(now: now.instant) else { return false }
            let results = check.probe.results
            let plain = results.filter(\.change.isEmpty)
            let report = NetCheckReport(
                local: local.map(\.description),
                reflexive: Array(Set(plain.compactMap { $0.mapped?.description })).sorted(),
                mapping: MappingBehaviour.classify(results, local: local).rawValue,
                filtering: FilteringBehaviour.classify(results).rawValue,
                udp: plain.contains { $0.mapped != nil },
                servers: zip(plain, check.targets).map { r, target in
                    NetCheckReport.Server(server: r.server.description, kind: target.kind, name: target.name,
                                          mapped: r.mapped?.description,
                                          milliseconds: r.roundTrip.map { Double($0.nanosecondsValue) / 1e6 }, error: r.error)
                } + unresolvedSTUNServers())
            effects.append(.reply(check.request, .netcheck(report)))
            return true
        }
    }
}

/// A `warren netcheck` in progress and who waits for it.
struct NetCheck {
    var probe: BindingProbe
    /// Per plain request, in order, who its server is.
    var targets: [STUNTarget]
    let request: RequestID
}

/// A server a Binding request goes to: its address, who it is (see
/// `NetCheckReport.Server.kind`), the name it was configured by, if any, and whether it is
/// a `nat.stun` server as configured (asked for RFC 5780's tests, followed to its other
/// address) rather than a peer or such an other address.
struct STUNTarget {
    let endpoint: Endpoint
    let kind: String
    let name: String?
    let isConfigured: Bool
}
