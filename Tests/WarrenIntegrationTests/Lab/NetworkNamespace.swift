import Foundation
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

    /// Where `ip netns exec` finds files to mount over /etc for the processes it starts.
    var etcDirectory: String { "/etc/netns/\(name)" }

    /// Gives the processes `exec` starts an /etc/hosts of their own, with `names`, and a
    /// resolver on the namespace's own loopback, where nothing answers: no name lookup in
    /// the lab leaves it.
    func setHostNames(_ names: [(name: String, address: String)]) throws {
        try FileManager.default.createDirectory(atPath: etcDirectory, withIntermediateDirectories: true)
        let hosts = (["127.0.0.1 localhost"] + names.map { "\($0.address) \($0.name)" }).joined(separator: "\n") + "\n"
        try hosts.write(toFile: etcDirectory + "/hosts", atomically: true, encoding: .utf8)
        try "nameserver 127.0.0.1\noptions attempts:1 timeout:1\n".write(toFile: etcDirectory + "/resolv.conf", atomically: true, encoding: .utf8)
    }

    /// Kills whatever still runs inside (a child of a crashed run, a daemonised helper) and
    /// deletes the namespace; its interfaces and sockets go with it, and so do its /etc files.
    func deleteBlocking() {
        try? FileManager.default.removeItem(atPath: etcDirectory)
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
