import Foundation
import Glibc

/// A finished program: its arguments, exit status and output, for assertions and for failure
/// messages that show what was run.
struct CommandResult: Sendable, CustomStringConvertible {
    var arguments: [String]
    /// The exit status, or 128 + the signal number for a program killed by a signal (as shells report it).
    var status: Int32
    var stdout: String
    var stderr: String

    var succeeded: Bool { status == 0 }

    var description: String {
        var text = "`\(arguments.joined(separator: " "))` exited with status \(status)"
        let out = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let err = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        if !out.isEmpty { text += "\n  stdout: " + out.replacingOccurrences(of: "\n", with: "\n          ") }
        if !err.isEmpty { text += "\n  stderr: " + err.replacingOccurrences(of: "\n", with: "\n          ") }
        return text
    }
}

/// Runs external programs (`ip`, `ping`, `ssh`, `warren` …) to completion with a time limit.
///
/// Output goes to temporary files rather than pipes: a pipe fills at 64 KiB and stalls a
/// chatty child while we wait for it, and a daemonising grandchild can hold a pipe open
/// forever.
enum Command {
    static let defaultTimeout: Duration = .seconds(30)

    /// Runs `arguments` and returns however it ended; throws only if it could not start or
    /// ran past `timeout` (then it is killed).
    static func run(_ arguments: [String], timeout: Duration = defaultTimeout) async throws -> CommandResult {
        let started = try Started(arguments)
        let deadline = ContinuousClock.now + timeout
        while started.child.isRunning {
            if ContinuousClock.now >= deadline {
                started.kill()
                throw LabError("\(started.finish()) — killed after running longer than \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return started.finish()
    }

    /// Like `run`, but blocks the calling thread: for teardown, which runs in `defer` and so
    /// cannot await.
    static func runBlocking(_ arguments: [String], timeout: Duration = .seconds(10)) -> CommandResult? {
        guard let started = try? Started(arguments) else { return nil }
        let deadline = ContinuousClock.now + timeout
        while started.child.isRunning {
            if ContinuousClock.now >= deadline {
                started.kill()
                break
            }
            usleep(2_000)
        }
        return started.finish()
    }

    /// Runs `arguments` and throws, with the output, unless it exits with status 0.
    @discardableResult
    static func check(_ arguments: [String], timeout: Duration = defaultTimeout) async throws -> CommandResult {
        let result = try await run(arguments, timeout: timeout)
        guard result.succeeded else { throw LabError(result.description) }
        return result
    }

    /// A running child with its output files.
    private struct Started {
        let child: ChildProcess
        let stdoutPath: String
        let stderrPath: String

        init(_ arguments: [String]) throws {
            let base = "/tmp/wit\(getpid())-cmd-\(UUID().uuidString)"
            stdoutPath = base + ".out"
            stderrPath = base + ".err"
            child = try ChildProcess(arguments, stdoutPath: stdoutPath, stderrPath: stderrPath)
        }

        func kill() {
            child.send(SIGKILL)
            child.waitBlocking()
        }

        func finish() -> CommandResult {
            child.waitBlocking()
            let status: Int32 = switch child.ended {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            case nil: -1
            }
            let result = CommandResult(arguments: child.arguments, status: status,
                                       stdout: Self.read(stdoutPath), stderr: Self.read(stderrPath))
            try? FileManager.default.removeItem(atPath: stdoutPath)
            try? FileManager.default.removeItem(atPath: stderrPath)
            return result
        }

        static func read(_ path: String) -> String {
            (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }
    }
}
