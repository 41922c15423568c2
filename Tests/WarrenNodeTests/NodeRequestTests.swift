import Testing
import WarrenNode
import WarrenWire

/// The control socket's request lines, parsed at the boundary into typed requests.
@Suite("Control requests")
struct NodeRequestTests {
    @Test("request lines become typed requests; counts are clamped", arguments: [
        ("status", NodeRequest.status),
        ("  status \t", .status),
        ("lookup 10.8.0.2", .lookup(IPv4Address(0x0a08_0002))),
        ("ping alice 5", .ping("alice", count: 5)),
        ("ping 10.8.0.2 1000", .ping("10.8.0.2", count: NodeRequest.maxPingCount)),
        ("ping alice 0", .ping("alice", count: 1)),
        ("ping alice many", .ping("alice", count: 3)),
        ("netcheck", .netcheck),
    ])
    func parses(line: String, request: NodeRequest) {
        #expect(NodeRequest.parse(line) == .success(request))
    }

    @Test("anything else is answered with what is wrong", arguments: [
        ("lookup alice", "not an IPv4 address"), ("", "unknown request"), ("status now", "unknown request"),
        ("ping alice", "unknown request"), ("STATUS", "unknown request"),
    ])
    func refuses(line: String, message: String) {
        guard case .failure(let error) = NodeRequest.parse(line) else {
            Issue.record("\(line) parsed")
            return
        }
        #expect(error.message == message)
    }
}
