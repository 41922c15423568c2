import WarrenWire

/// The workload: pings between members that never met, each watched until its path is
/// direct.
extension MeshSimulation {
    /// Starts ping `k` between two running members (not relays) that have not met yet.
    func ping(_ k: Int32) {
        let members = hosts.count - scenario.relays
        guard members >= 2 else { return }
        for _ in 0..<32 {
            let a = Int32(scenario.relays + random.index(below: members))
            let b = Int32(scenario.relays + random.index(below: members))
            guard a != b, hosts[Int(a)].started, hosts[Int(b)].started,
                  hosts[Int(a)].node.manager.status(of: hosts[Int(b)].publicKey, now: moment.instant) == nil else { continue }
            pings[Int(k)] = Ping(from: a, to: b, startedAt: now)
            echo(k, attempt: 0)
            queue.push(.watch(k), at: now + 100_000_000)
            return
        }
    }

    /// One echo request of ping `k`; the next a second later, unless one was answered.
    func echo(_ k: Int32, attempt: Int) {
        let ping = pings[Int(k)]
        guard ping.firstReply == nil else { return }
        sendIP(Self.echoRequest(from: hosts[Int(ping.from)].overlay, to: hosts[Int(ping.to)].overlay, ping: Int(k), attempt: attempt),
               from: ping.from)
        if attempt + 1 < MeshScenario.echoAttempts { queue.push(.echo(k, attempt: attempt + 1), at: now + 1_000_000_000) }
    }

    /// Whether ping `k`'s sender reaches the target directly yet; looks again in 100 ms.
    func watch(_ k: Int32) {
        let ping = pings[Int(k)]
        guard ping.direct == nil else { return }
        let manager = hosts[Int(ping.from)].node.manager, target = hosts[Int(ping.to)].publicKey
        if manager.isConnected(target, now: moment.instant), manager.endpoint(of: target) != nil {
            pings[Int(k)].direct = now - ping.startedAt
        } else if Double(now - ping.startedAt) < MeshScenario.watchSeconds * 1e9 {
            queue.push(.watch(k), at: now + 100_000_000)
        }
    }
}
