import Logging
import WarrenNode

/// The node's log events as swift-log takes them.
extension Logger.Metadata {
    /// Log fields under the names LOGGING.md fixes.
    init(_ fields: [LogField: String]) {
        self.init(uniqueKeysWithValues: fields.map { ($0.key.rawValue, .string($0.value)) })
    }
}

extension WarrenNode.LogEvent.Level {
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        }
    }
}
