import FoundationEssentials
import WarrenCircuit
import WarrenLinux

/// A sender's guards saved across restarts, as JSON: Tor's guard-spec keeps a client on the
/// same guard for months, so a node that restarts must not pick new ones (each new guard is
/// another chance of picking one that watches).
struct GuardFile {
    let path: String

    init(directory: String, interface: String) {
        path = directory + "/\(interface).guards"
    }

    /// The saved guards; none if there is no file. A file that does not parse is an error
    /// to report: starting afresh samples new guards.
    func load() throws -> GuardSet {
        guard FileAccess.exists(path: path) else { return GuardSet() }
        let bytes = try FileAccess.readAll(path: path, maxBytes: 1 << 20)
        return try JSONDecoder().decode(GuardSet.self, from: Data(bytes))
    }

    func save(_ guards: GuardSet) throws {
        let bytes = Array(try JSONEncoder.sorted.encode(guards))
        try FileAccess.makeDirectory(path: String(path[..<path.lastIndex(of: "/")!]), mode: 0o700)
        try FileAccess.writeAtomically(bytes, to: path, mode: 0o600)
    }
}
