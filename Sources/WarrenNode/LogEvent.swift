/// A line for the operator's log, decided by the node and written by the daemon. Field names
/// are fixed (`LogField`, documented in LOGGING.md), so scripts and journal queries can rely
/// on them.
public struct LogEvent: Equatable, Sendable {
    public enum Level: Sendable, Comparable {
        case debug, info, notice, warning
    }

    public let level: Level
    public let message: String
    public let fields: [LogField: String]

    public init(_ level: Level, _ message: String, _ fields: [LogField: String] = [:]) {
        self.level = level
        self.message = message
        self.fields = fields
    }
}

/// The structured fields a log line may carry; the raw value is the key written.
public enum LogField: String, CaseIterable, Sendable {
    /// The peer a line is about: its certificate name once known, otherwise its public key.
    case peer
    /// An underlay `ADDRESS:PORT`.
    case endpoint
    /// A relay channel number.
    case channel
    /// Why something was refused or failed.
    case reason
    /// How many things a line stands for (refusals not logged one by one).
    case count
    /// An overlay or local address.
    case address
    /// The peer a punch or a relay binding is for, and the node it goes through.
    case towards
    case via
    /// The member a message came from, and the one it is passed on to.
    case from
    case to
    /// This node's public addresses as STUN answers show them.
    case reflexive
    /// The daemon's own lines: the overlay interface, the listen port, how many peers the
    /// configuration lists, and a STUN server as configured.
    case interface
    case port
    case peers
    case server
    /// How long something took (a circuit build), in milliseconds with the unit.
    case duration
}
