import ArgumentParser
import Logging
import WarrenDaemon
import WarrenLinux

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node in the foreground (systemd runs this).",
        discussion: "Logs go to stderr. SIGTERM or SIGINT removes the interface and exits.")

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String = Config.defaultPath

    @Option(name: .long, help: "Log level, overriding the config: trace, debug, info, notice, warning, error.")
    var logLevel: String?

    func run() throws {
        try reporting {
            let loaded = try loadConfig(config)
            var level = loaded.logLevel
            if let logLevel {
                guard let parsed = Logger.Level(rawValue: logLevel) else {
                    throw Failure.config("--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
                }
                level = parsed
            }
            let chosenLevel = level
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = chosenLevel
                return handler
            }
            let logger = Logger(label: "warren")
            let identity = try loadIdentity(loaded)
            do {
                let daemon = try Daemon(config: loaded, identity: identity, logger: logger)
                try daemon.run()
            } catch let error as StartupError {
                throw Failure(message: error.description, status: error.isConfig ? 2 : 1)
            }
        }
    }
}

/// The node's key, certificate and peers, checked; problems are configuration errors.
func loadIdentity(_ config: Config) throws -> NodeIdentity {
    do {
        return try NodeIdentity(config: config, atUnixTime: WallClock.nowUnixSeconds())
    } catch {
        throw Failure.config("\(error)")
    }
}

func loadConfig(_ path: String) throws -> Config {
    do {
        return try Config.load(path: path)
    } catch {
        throw Failure.config("\(error)")
    }
}
