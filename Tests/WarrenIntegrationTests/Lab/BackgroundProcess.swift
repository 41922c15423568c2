import Foundation
import Glibc

/// A long-running program the lab started (a daemon, sshd, iperf3 -s, tcpdump): its
/// standard output and error go to one log file, printed when a test fails. The lab stops
/// every one it started, by its own process id, in teardown.
final class BackgroundProcess {
    let name: String
    let logPath: String
    private let child: ChildProcess
    /// Set once the lab asked it to stop: an exit after that is expected, one before is not.
    private(set) var stopRequested = false

    init(name: String, arguments: [String], logPath: String) throws {
        self.name = name
        self.logPath = logPath
        child = try ChildProcess(arguments, stdoutPath: logPath, stderrPath: nil)
    }

    var arguments: [String] { child.arguments }
    var processIdentifier: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }
    /// How it ended; nil while it runs.
    var ending: ChildProcess.Ending? { child.ended }

    /// "running", "exited with status N" or "killed by signal N", for messages.
    var state: String {
        switch child.ended {
        case nil: "running"
        case .exited(let status): "exited with status \(status)"
        case .signalled(let signal): "killed by signal \(signal)"
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits up to `timeout` for the process to exit. Returns false if it
    /// is still running.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(5)) async throws -> Bool {
        stopRequested = true
        child.send(signal)
        return try await waitForExit(timeout: timeout)
    }

    /// Waits up to `timeout` for the process to exit by itself.
    func waitForExit(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while child.isRunning {
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Waits up to `timeout` for a line of output that is exactly `line` (proof that the
    /// program got that far), failing with its log if the line never comes or it exits first.
    func waitForLine(_ line: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !log.split(separator: "\n").contains(Substring(line)) {
            guard child.isRunning else { throw LabError("\(name) \(state) before printing \(line): \(log)") }
            guard ContinuousClock.now < deadline else { throw LabError("\(name) printed no \(line) in \(timeout): \(log)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Teardown's stop: SIGTERM, up to 3 s of grace, then SIGKILL. Blocking, for `defer`.
    func terminateBlocking() {
        guard child.isRunning else { return }
        stopRequested = true
        child.send(SIGTERM)
        let deadline = ContinuousClock.now + .seconds(3)
        while child.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
        if child.isRunning {
            child.send(SIGKILL)
            child.waitBlocking()
        }
    }
}
