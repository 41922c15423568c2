import Testing
import WarrenNode
import WarrenSession
import WarrenWire

/// `warren ping`: probes at a fixed interval through the session, answered by the peer's node.
@Suite("Ping")
struct PingTests {
    @Test("three probes half a second apart, each answered, reported when the last comes back")
    func answered() {
        let (net, a, _) = NodeNetwork.connectedPair()
        net.request(.ping("b", count: 3), at: a)
        let id = net.nextRequest
        net.run(for: .milliseconds(900))
        #expect(!net.hasReply(id, at: a), "only two probes can have gone")
        net.run(for: .milliseconds(200))
        guard case .ping(let report)? = net.reply(id, at: a) else {
            Issue.record("no ping reply: \(net.replies(at: a))")
            return
        }
        #expect(report.sent == 3 && report.replies.map(\.sequence) == [1, 2, 3] && report.error == nil)
        #expect(report.peer == "b" && report.endpoint == "192.0.2.1:51820" && report.path == .direct)
    }

    @Test("a peer is named by its name or its overlay addresses")
    func byAddress() {
        let (net, a, b) = NodeNetwork.connectedPair()
        net.request(.ping(net.members[b].ipv4.description, count: 1), at: a)
        let id = net.nextRequest
        net.run(for: .milliseconds(100))
        guard case .ping(let report)? = net.reply(id, at: a) else {
            Issue.record("no ping reply")
            return
        }
        #expect(report.replies.count == 1)
    }

    @Test("an unknown peer is answered at once with what to do")
    func unknown() {
        let (net, a, _) = NodeNetwork.connectedPair()
        guard case .ping(let report)? = net.request(.ping("carol", count: 3), at: a) else {
            Issue.record("no ping reply")
            return
        }
        #expect(report.sent == 0 && report.error?.contains("no peer named or addressed carol") == true)
    }

    @Test("probes nobody answers are reported two seconds after the last")
    func unanswered() {
        let (net, a, b) = NodeNetwork.connectedPair()
        net.vanish(b)
        net.request(.ping("b", count: 2), at: a)
        let id = net.nextRequest
        net.run(for: .milliseconds(2400))
        #expect(!net.hasReply(id, at: a))
        net.run(for: .milliseconds(200))
        guard case .ping(let report)? = net.reply(id, at: a) else {
            Issue.record("no ping reply")
            return
        }
        #expect(report.sent == 2 && report.replies.isEmpty)
    }
}
