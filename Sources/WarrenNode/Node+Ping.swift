import WarrenCrypto
import WarrenNAT
import WarrenSession
import WarrenWire

/// `warren ping NODE`: path probes inside the session with a peer, `pingInterval` apart,
/// answered by the peer's node; each reply's round trip, and the path they took.
extension Node {
    static let pingInterval: Duration = .milliseconds(500)
    /// How long the last probe has to come back.
    static let pingPatience: Duration = .seconds(2)

    func startPing(_ target: String, count: Int, for request: RequestID, now: Moment, into actions: inout [SessionAction]) {
        guard let publicKey = manager.peer(named: target), let peer = peerStatus(publicKey, now: now) else {
            effects.append(.reply(request, .ping(PingReport(peer: target, address: "", sent: 0, replies: [],
                                                           error: "no peer named or addressed \(target) (ping its overlay address first)"))))
            return
        }
        pings.append(PingRun(publicKey: publicKey, peer: peer, count: count, request: request))
        pingTimers(now: now, into: &actions)
    }

    /// Sends the probes that are due, and answers for the runs that are done.
    func pingTimers(now: Moment, into actions: inout [SessionAction]) {
        for i in pings.indices where pings[i].sentCount < pings[i].count && now.instant >= pings[i].deadline {
            let id: UInt32 = random.next()
            pings[i].sentCount += 1
            pings[i].sent[id] = (pings[i].sentCount, now.instant)
            pings[i].lastSentAt = now.instant
            manager.sendControl(PathProbe(kind: .request, id: id).encoded, to: pings[i].publicKey, endpoint: nil, now: now, into: &actions)
        }
        pings.removeAll { run in
            guard run.replies.count == run.count || (run.sentCount == run.count && now.instant >= run.deadline) else { return false }
            let current = peerStatus(run.publicKey, now: now) ?? run.peer
            let report = PingReport(peer: run.peer.name ?? run.peer.publicKey, address: run.peer.addresses.first ?? "",
                                    endpoint: current.endpoint, path: current.path, foundBy: current.foundBy, sent: run.count,
                                    replies: run.replies.sorted { $0.sequence < $1.sequence }, error: nil)
            effects.append(.reply(run.request, .ping(report)))
            return true
        }
    }

    /// A probe from an authenticated peer: the session manager echoes requests and learns
    /// from replies about direct paths; a reply may also be one of a `warren ping`'s.
    func handleProbe(_ bytes: [UInt8], from link: PeerLink, path: Path, now: Moment, into actions: inout [SessionAction]) {
        guard let probe = try? PathProbe(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        manager.handleProbe(probe, from: link, path: path, now: now, into: &actions)
        guard probe.kind == .reply else { return }
        for i in pings.indices where pings[i].publicKey == link.publicKey {
            guard let (sequence, sentAt) = pings[i].sent.removeValue(forKey: probe.id) else { continue }
            pings[i].replies.append(.init(sequence: sequence, milliseconds: Double(now.instant.since(sentAt).nanosecondsValue) / 1e6))
        }
    }
}

/// A `warren ping` in progress.
struct PingRun {
    let publicKey: Key32
    let peer: PeerStatus
    let count: Int
    let request: RequestID
    /// Probes sent and not answered yet, by id: their sequence number and when they left.
    var sent: [UInt32: (Int, Instant)] = [:]
    var sentCount = 0
    var replies: [PingReport.Reply] = []
    var lastSentAt: Instant?

    /// When the next probe goes out, or, after the last, when the run gives up waiting.
    var deadline: Instant {
        guard let lastSentAt else { return .zero }
        return lastSentAt + (sentCount < count ? Node.pingInterval : Node.pingPatience)
    }
}
