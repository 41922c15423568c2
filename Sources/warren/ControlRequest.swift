import ArgumentParser
import FoundationEssentials
import WarrenDaemon
import WarrenLinux

/// The options of every command that asks the running daemon something, and the asking.
struct DaemonConnection: ParsableArguments {
    @Option(name: .shortAndLong, help: "The configuration file (to find the control socket).")
    var config: String = Config.defaultPath
    @Option(help: "The control socket, overriding the config.") var socket: String?
    @Flag(help: "Print JSON for scripts.") var json = false

    /// Sends `line` over the control socket: the one named by `--socket`, else the config
    /// file's (or the default config's when there is none). With `--json` prints the reply
    /// and returns nil; otherwise decodes it, naming `what` it should have been if it is not.
    func reply<Report: Decodable>(to line: String, as _: Report.Type, what: String,
                                  timeoutMilliseconds: Int32 = 5000) throws -> Report? {
        let path: String
        if let socket {
            path = socket
        } else if FileAccess.exists(path: config) {
            path = try loadConfig(config).controlSocket
        } else {
            path = Config(defaultsFor: config).controlSocket
        }
        let bytes: [UInt8]
        do {
            bytes = try UnixControlSocket.request(path: path, line: line, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw Failure.runtime("\(error)")
        }
        if json {
            print(String(decoding: bytes, as: UTF8.self))
            return nil
        }
        do {
            return try JSONDecoder().decode(Report.self, from: Data(bytes))
        } catch {
            throw Failure.runtime("the daemon's reply is not \(what): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
    }
}
