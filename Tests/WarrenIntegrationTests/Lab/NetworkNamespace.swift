import Glibc

/// A Linux network namespace the lab created, named `wit<pid>-…` after the test process
/// (see `StaleRuns`).
struct NetworkNamespace: Sendable, CustomStringConvertible {
    let name: String

    var description: String { name }

    /// `arguments` run inside this namespace (`ip netns exec` execs them, so the process we
    /// start is the program itself and signals reach it directly).
    func exec(_ arguments: [String]) -> [String] {
        ["ip", "netns", "exec", name] + arguments
    }

    /// An `ip` command aimed at this namespace.
    func ip(_ arguments: String...) -> [String] {
        ["ip", "-n", name] + arguments
    }

    /// Adds the namespace with its loopback up (ping and sshd use it for local traffic).
    static func create(_ name: String) async throws -> NetworkNamespace {
        try await Command.check(["ip", "netns", "add", name])
        let namespace = NetworkNamespace(name: name)
        do {
            try await Command.check(namespace.ip("link", "set", "lo", "up"))
        } catch {
            namespace.deleteBlocking()
            throw error
        }
        return namespace
    }

    /// Kills whatever still runs inside (a child of a crashed run, a daemonised helper) and
    /// deletes the namespace; its interfaces and sockets go with it.
    func deleteBlocking() {
        if let pids = Command.runBlocking(["ip", "netns", "pids", name]) {
            for pid in pids.stdout.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) {
                kill(pid, SIGKILL)
            }
        }
        _ = Command.runBlocking(["ip", "netns", "delete", name])
    }

    /// Every namespace on the machine, by name.
    static func all() -> [String] {
        guard let list = Command.runBlocking(["ip", "netns", "list"]) else { return [] }
        return list.stdout.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: " ").first.map(String.init) }
    }
}
