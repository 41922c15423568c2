/// A configuration problem, told the way an operator fixes it: which file, which key, what
/// is wrong. `warren check` and `warren up` print it as one line and exit with status 2.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// Dotted key path (`node.key`, `peer[1].endpoint`), or nil for the file as a whole.
    public var key: String?
    public var problem: String

    public init(file: String, key: String?, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key { "\(file): \(key): \(problem)" } else { "\(file): \(problem)" }
    }
}
