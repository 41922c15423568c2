import FoundationEssentials
import WarrenCircuit
import WarrenLinux

/// What a circuit sender or relay keeps across restarts, as JSON in the state directory:
/// its guards (`INTERFACE.guards`: Tor's guard-spec keeps a client on the same guard for
/// months, so a node that restarts must not pick new ones, each another chance of picking
/// one that watches) and its relay directory (`INTERFACE.directory`: circuits can be built at
/// once after a restart, and relays are not asked for their whole lists at every start).
struct CircuitStateFile<Value: Codable> {
    let path: String

    /// The saved value; nil if there is no file. A file that does not parse is an error to
    /// report: the node then starts afresh.
    func load() throws -> Value? {
        guard FileAccess.exists(path: path) else { return nil }
        let bytes = try FileAccess.readAll(path: path, maxBytes: 64 << 20)
        return try JSONDecoder().decode(Value.self, from: Data(bytes))
    }

    func save(_ value: Value) throws {
        let bytes = Array(try JSONEncoder.sorted.encode(value))
        try FileAccess.makeDirectory(path: String(path[..<path.lastIndex(of: "/")!]), mode: 0o700)
        try FileAccess.writeAtomically(bytes, to: path, mode: 0o600)
    }
}

extension CircuitStateFile where Value == GuardSet {
    init(guardsIn directory: String, interface: String) {
        path = directory + "/\(interface).guards"
    }
}

extension CircuitStateFile where Value == SavedDirectory {
    init(directoryIn directory: String, interface: String) {
        path = directory + "/\(interface).directory"
    }
}
