import WarrenDHT

/// One measured lookup, as the node that ran it saw it.
struct LookupOutcome {
    let startedAt: UInt64
    let succeeded: Bool
    let hops: Int
    let queries: Int
    let latency: UInt64
    let crossesPartition: Bool
}

/// Counters the simulation keeps while it runs, and a digest of everything measured, so two
/// runs can be compared in one line.
struct Metrics {
    static let messageKinds = ["ping", "pong", "findNode", "nodes", "store", "storeResult", "findValue", "value"]

    var events = 0
    var joined = 0
    var left = 0
    var messagesSent = 0
    var messagesDelivered = 0
    var messagesLost = 0
    var messagesToDepartedNodes = 0
    var messagesBlockedByPartition = 0
    var messagesUnroutable = 0
    var messagesByKind = [Int](repeating: 0, count: messageKinds.count)
    var lookupsIssued = 0
    var lookupsSkipped = 0
    var outcomes: [LookupOutcome] = []
    private(set) var digest: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func count(_ message: DHTMessage) {
        messagesSent += 1
        let kind = switch message.body {
        case .ping: 0
        case .pong: 1
        case .findNode: 2
        case .nodes: 3
        case .store: 4
        case .storeResult: 5
        case .findValue: 6
        case .value: 7
        }
        messagesByKind[kind] += 1
    }

    mutating func record(_ outcome: LookupOutcome) {
        outcomes.append(outcome)
        for value in [outcome.startedAt, outcome.succeeded ? 1 : 0, UInt64(outcome.hops), UInt64(outcome.queries), outcome.latency] {
            digest = mix64(digest ^ value)
        }
    }

    /// The digest of the lookups and of every counter.
    var finalDigest: UInt64 {
        var d = digest
        for value in [events, joined, left, messagesSent, messagesDelivered, messagesLost, messagesToDepartedNodes,
                      messagesBlockedByPartition, lookupsIssued, lookupsSkipped] + messagesByKind {
            d = mix64(d ^ UInt64(value))
        }
        return d
    }
}
