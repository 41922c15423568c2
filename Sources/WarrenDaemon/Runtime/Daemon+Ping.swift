import FoundationEssentials
import WarrenCrypto
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// `warren ping NODE`: path probes inside the session with a peer, one per control-loop tick,
/// answered by the peer's daemon; each reply's round trip, and the path they took.
extension Daemon {
    static let pingPatience: Duration = .seconds(2)

    func startPing(_ target: String, count: Int, for request: ControlRequest, now: Moment, into actions: inout [SessionAction]) {
        let peers = statusReport().peers
        guard let peer = peers.first(where: { $0.name == target || $0.addresses.contains(target) }),
              let key = KeyText.parsePublicKey(peer.publicKey) else {
            let report = PingReport(peer: target, address: "", sent: 0, replies: [],
                                    error: "no peer named or addressed \(target) (ping its overlay address first)")
            request.respond((try? JSONEncoder.sorted.encode(report)).map(Array.init) ?? Array("{}".utf8))
            return
        }
        pings.append(PingRun(publicKey: key, peer: peer, count: max(1, min(count, 100)), request: request))
        pingTimers(now: now, into: &actions)
    }

    func pingTimers(now: Moment, into actions: inout [SessionAction]) {
        for i in pings.indices where pings[i].sentCount < pings[i].count {
            let id: UInt32 = random.next()
            pings[i].sentCount += 1
            pings[i].sent[id] = (pings[i].sentCount, now.instant)
            pings[i].lastSentAt = now.instant
            node.manager.sendControl(PathProbe(kind: .request, id: id).encoded, to: pings[i].publicKey, endpoint: nil, now: now, into: &actions)
        }
        pings.removeAll { run in
            guard run.replies.count == run.count
                || (run.sentCount == run.count && now.instant.since(run.lastSentAt ?? now.instant) >= Self.pingPatience) else { return false }
            let current = statusReport().peers.first { $0.publicKey == run.peer.publicKey } ?? run.peer
            let report = PingReport(peer: run.peer.name ?? run.peer.publicKey, address: run.peer.addresses.first ?? "",
                                    endpoint: current.endpoint, path: current.path, foundBy: current.foundBy, sent: run.count,
                                    replies: run.replies.sorted { $0.sequence < $1.sequence }, error: nil)
            run.request.respond((try? JSONEncoder.sorted.encode(report)).map(Array.init) ?? Array("{}".utf8))
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
        node.manager.handleProbe(probe, from: link, path: path, now: now, into: &actions)
        if probe.kind == .reply {
            for i in pings.indices where pings[i].publicKey == link.publicKey {
                guard let (sequence, sentAt) = pings[i].sent.removeValue(forKey: probe.id) else { continue }
                pings[i].replies.append(.init(sequence: sequence, milliseconds: Double(now.instant.since(sentAt).nanosecondsValue) / 1e6))
            }
        }
    }
}

/// A `warren ping` in progress.
struct PingRun {
    let publicKey: Key32
    let peer: PeerStatus
    let count: Int
    let request: ControlRequest
    /// Probes sent and not answered yet, by id: their sequence number and when they left.
    var sent: [UInt32: (Int, Instant)] = [:]
    var sentCount = 0
    var replies: [PingReport.Reply] = []
    var lastSentAt: Instant?
}
