import ArgumentParser
import Glibc
import WarrenLinux

/// The `warren` command: the daemon (`up`), its checks and status, and the key and
/// certificate tools, in the manner of `wg` and `nebula-cert`.
@main
struct Warren: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "warren",
        abstract: "A mesh VPN daemon: certified nodes, encrypted UDP tunnels, no central server.",
        version: version,
        subcommands: [
            Up.self, Check.self, Status.self, LookupCommand.self, PingCommand.self, NetCheckCommand.self, CircuitsCommand.self, GenKey.self, PubKey.self, CA.self, Cert.self, Version.self,
        ])

    /// Usage errors exit with status 2, as `wg` and most Unix tools do (ArgumentParser's
    /// default is 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                StandardError.writeLine(fullMessage(for: error))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    func run() {
        print("warren \(Warren.version)")
    }
}

/// A failure already explained to the user on stderr; carries the exit status.
struct Failure: Error {
    let message: String
    /// 2 for configuration and usage errors, 1 for everything else.
    let status: Int32

    static func config(_ message: String) -> Failure { Failure(message: message, status: 2) }
    static func runtime(_ message: String) -> Failure { Failure(message: message, status: 1) }
}

extension ParsableCommand {
    /// Runs `body`, printing a `Failure` as one line on stderr and exiting with its status.
    func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            StandardError.writeLine("warren: \(failure.message)")
            throw ExitCode(failure.status)
        }
    }
}
