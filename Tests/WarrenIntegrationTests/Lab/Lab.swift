import Foundation
import Glibc
import Synchronization

/// A throwaway network for one test: a "switch" namespace holding a bridge, one namespace
/// per node cabled to it by a veth pair, underlay addresses 192.168.77.0/24 that exist only
/// inside those namespaces, a temporary directory with CAs, keys, certificates, configs,
/// control sockets and logs, and the `warren` daemons and helper programs the test started.
///
/// Nothing is routed out of the namespaces (they have no default route and no link to the
/// host's namespace), so every packet stays between them. `Lab.run` tears all of it down
/// when the test ends, passed or failed, and prints the logs of everything it started when
/// the test failed.
final class Lab {
    /// The port every node listens on (each node has its own namespace, so they never clash).
    static let port = 51820
    /// The overlay network every CA of the lab certifies addresses in.
    static let overlayNetwork = "10.8.0.0/16"

    /// Labs of one process are numbered, so a lab whose teardown failed never collides with
    /// the next one.
    private static let serial = Atomic<Int>(0)

    /// `wit<pid>-<n>`: the prefix of this lab's namespaces and temporary directory.
    let id: String
    let directory: String
    let warren: String

    var switchNamespace: NetworkNamespace?
    var namespaces: [NetworkNamespace] = []
    var processes: [BackgroundProcess] = []
    var nodes: [Node] = []
    var authorities: [String: Authority] = [:]
    /// NAT routers made so far (see `Lab+NAT`).
    var routers = 0
    private var tornDown = false

    /// Runs `body` in a fresh lab and always tears it down; on failure the logs of every
    /// process the lab started are printed first.
    static func run(_ body: (Lab) async throws -> Void) async throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        do {
            try await body(lab)
            // A daemon that crashed while the test looked elsewhere fails the test too.
            try lab.requireDaemonsAlive()
        } catch {
            lab.printLogs(because: error)
            throw error
        }
    }

    init() throws {
        try Prerequisites.requireRoot()
        try Prerequisites.requireTools(["ip", "ss"])
        warren = try Prerequisites.warrenBinary()
        StaleRuns.sweep()
        let n = Self.serial.add(1, ordering: .relaxed).newValue
        id = "\(StaleRuns.namePrefix)\(getpid())-\(n)"
        var template = Array("/tmp/\(id)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw LabError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
    }

    /// A path in the lab's temporary directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// The namespace with the bridge every node is cabled to; made on first use.
    func switchBoard() async throws -> NetworkNamespace {
        if let switchNamespace { return switchNamespace }
        let namespace = try await NetworkNamespace.create("\(id)-sw")
        namespaces.append(namespace)
        switchNamespace = namespace
        try await Command.check(namespace.ip("link", "add", "br0", "type", "bridge"))
        try await Command.check(namespace.ip("link", "set", "br0", "up"))
        return namespace
    }

    /// Starts a helper program (or a daemon); teardown stops it.
    func startProcess(_ name: String, _ arguments: [String]) throws -> BackgroundProcess {
        let process = try BackgroundProcess(name: name, arguments: arguments,
                                            logPath: path("\(name).\(processes.count).log"))
        processes.append(process)
        return process
    }

    /// Stops every process the lab started, deletes its namespaces and its directory. Runs
    /// once, from `defer`, so it blocks rather than awaits.
    func tearDown() {
        guard !tornDown else { return }
        tornDown = true
        for process in processes.reversed() { process.terminateBlocking() }
        for namespace in namespaces.reversed() { namespace.deleteBlocking() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
