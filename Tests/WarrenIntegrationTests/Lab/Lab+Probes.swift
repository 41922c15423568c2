import Foundation

extension Lab {
    /// `ping` from inside `node`'s namespace: two echo requests 0.2 s apart, giving up after
    /// `deadlineSeconds`. Exits 0 only if replies came back.
    func ping(from node: Node, to address: String, deadlineSeconds: Int = 5) async throws -> CommandResult {
        let family = address.contains(":") ? "-6" : "-4"
        return try await Command.run(node.exec("ping", family, "-n", "-c", "2", "-i", "0.2", "-w", "\(deadlineSeconds)", address),
                                     timeout: .seconds(deadlineSeconds + 5))
    }

    /// One echo request, answered within `waitSeconds` or not, and how long the answer took:
    /// a user's first ping. (A retry a second later would hide a lost first packet.)
    func pingOnce(from node: Node, to address: String, waitSeconds: Int = 5) async throws -> (result: CommandResult, took: Duration) {
        let family = address.contains(":") ? "-6" : "-4"
        let started = ContinuousClock.now
        let result = try await Command.run(node.exec("ping", family, "-n", "-c", "1", "-W", "\(waitSeconds)", address),
                                           timeout: .seconds(waitSeconds + 5))
        return (result, ContinuousClock.now - started)
    }

    /// Pings and throws, with ping's output, unless replies came back.
    func requirePing(from node: Node, to address: String) async throws {
        let result = try await ping(from: node, to: address)
        guard result.succeeded else { throw LabError("\(node.name) cannot ping \(address): \(result)") }
    }

    /// Waits until something listens on TCP `port` in `node`'s namespace, or fails early if
    /// `process` (the server expected to listen) exits.
    func waitForTCPListener(in node: Node, port: Int, process: BackgroundProcess, timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let listening = try await Command.check(node.exec("ss", "-Htln", "sport = :\(port)"))
            if !listening.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            guard process.isRunning else {
                throw LabError("\(process.name) \(process.state) before listening on port \(port):\n\(process.log)")
            }
            guard ContinuousClock.now < deadline else {
                throw LabError("nothing listens on TCP port \(port) in \(node.name) after \(timeout):\n\(process.log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The UDP sockets open in `node`'s namespace, as `ss -Huan` lists them.
    func udpSockets(in node: Node) async throws -> [String] {
        let result = try await Command.check(node.exec("ss", "-Huan"))
        return result.stdout.split(whereSeparator: \.isNewline).map(String.init)
    }
}

extension Lab {
    /// Polls `condition` every 50 ms until it holds, failing after `timeout` with `what`.
    func waitUntil(_ what: String, timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw LabError("timed out after \(timeout) waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
