import Foundation

/// The parts of `warren status --json` (the daemon's StatusReport) the tests look at.
struct NodeStatus: Decodable {
    struct Peer: Decodable {
        var name: String?
        var publicKey: String
        var endpoint: String?
        var state: String
        var path: String?
        var foundBy: String
    }

    struct Refusal: Decodable {
        var name: String?
        var publicKey: String?
        var endpoint: String
        var reason: String
        var count: Int
    }

    var name: String
    var addresses: [String]
    var peers: [Peer]
    var refusals: [Refusal]
    var drops: [String: UInt64]
    var dht: DHT
    var relay: Relay?

    struct Relay: Decodable {
        var pairs: Int
        var packets: UInt64
    }

    struct DHT: Decodable {
        var contacts: Int
        var records: Int
        var lookupsStarted: Int
        var lookupsSucceeded: Int
        /// Optional: a daemon from before lookups were capped has no such counts.
        var lookupsQueued: Int?
        var lookupsRefused: Int?
    }

    func peer(_ node: Node) -> Peer? { peers.first { $0.publicKey == node.publicKey } }
}

extension Lab {
    /// `warren status --json` from the node's control socket (a file, reachable from outside
    /// the namespace).
    func status(_ node: Node) async throws -> NodeStatus {
        let result = try await Command.check([warren, "status", "--socket", node.socketPath, "--json"], timeout: .seconds(5))
        do {
            return try JSONDecoder().decode(NodeStatus.self, from: Data(result.stdout.utf8))
        } catch {
            throw LabError("\(node.name)'s status is not the expected JSON (\(error)):\n\(result.stdout)")
        }
    }

    /// Polls the node's status until `condition` holds, failing with the last status (or the
    /// reason there was none) after `timeout`, or at once if the daemon exits.
    @discardableResult
    func waitForStatus(_ node: Node, timeout: Duration = .seconds(10), _ what: String,
                       until condition: (NodeStatus) -> Bool) async throws -> NodeStatus {
        let deadline = ContinuousClock.now + timeout
        var last = "no status yet"
        while true {
            if let daemon = node.daemon, !daemon.isRunning {
                throw LabError("\(node.name)'s daemon \(daemon.state) while waiting until \(what)")
            }
            do {
                let status = try await status(node)
                if condition(status) { return status }
                last = "peers: " + status.peers.map { "\($0.name ?? $0.publicKey) \($0.state)" }.joined(separator: ", ")
                    + "; refusals: \(status.refusals.map(\.reason)); drops: \(status.drops)"
            } catch let error as LabError {
                last = error.description
            }
            guard ContinuousClock.now < deadline else {
                throw LabError("timed out after \(timeout) waiting until \(what); last: \(last)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until `node` reports a connected session with each of `peers`.
    func waitUntilConnected(_ node: Node, to peers: [Node], timeout: Duration = .seconds(10)) async throws {
        let names = peers.map(\.name).joined(separator: ", ")
        try await waitForStatus(node, timeout: timeout, "\(node.name) is connected to \(names)") { status in
            peers.allSatisfy { status.peer($0)?.state == "connected" }
        }
    }
}
