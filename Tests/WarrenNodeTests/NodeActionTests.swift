import Testing
import WarrenNode
import WarrenSession
import WarrenWire

/// The order and the words of what a node asks its host to do.
@Suite("Node actions")
struct NodeActionTests {
    @Test("a responder publishes its routing snapshot before it sends the handshake response")
    func snapshotBeforeResponse() throws {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, staticPeers: [b])
        net.start(b)
        let started = net.performed[b].count
        net.start(a)
        let answering = net.performed[b][started...]
        let published = try #require(answering.firstIndex { if case .publishRouting = $0 { true } else { false } })
        let responded = try #require(answering.firstIndex { if case .send = $0 { true } else { false } })
        #expect(published < responded)
        #expect(net.logs(at: a).contains { $0 == LogEvent(.info, "session established", [.peer: "b", .endpoint: "192.0.2.1:51820"]) })
    }

    @Test("status names a direct path LAN when the peer is on one of the host's networks")
    func pathLabels() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let a = net.add("a", host: 2, staticPeers: [b])
        net.start(b)
        net.start(a)
        #expect(net.status(a).peers.first?.path == .direct)
        net.handle(.localAddresses(HostAddresses(networks: [IPPrefix("192.0.2.0/24")!])), at: a)
        #expect(net.status(a).peers.first?.path == .lan)
    }

    @Test("a refused handshake is one warning with the fixed fields")
    func refusal() {
        let net = NodeNetwork()
        let b = net.add("b", host: 1)
        let stranger = net.add("stranger", host: 7, staticPeers: [b], foreign: true)
        net.start(stranger)
        let refusal: LogEvent? = net.logs(at: b).first { $0.message == "peer refused" }
        #expect(refusal?.level == .warning)
        #expect(refusal?.fields[.endpoint] == "192.0.2.7:51820" && refusal?.fields[.reason] != nil)
        #expect(net.logs(at: b).filter { $0.message == "peer refused" }.count == 1)
        #expect(!net.logs(at: stranger).contains { $0.message == "session established" })
    }
}
