/// Why the daemon could not start: one line for the operator. Configuration problems exit
/// with status 2, everything else with 1.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    public let isConfig: Bool

    init(_ description: String, isConfig: Bool = false) {
        self.description = description
        self.isConfig = isConfig
    }
}
