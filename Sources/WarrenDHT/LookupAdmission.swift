public import WarrenPKI

/// Why a lookup runs. Each reason has its own share of the lookups that may run at once, so
/// one cause (a flood of packets to unknown addresses, peers going silent) cannot crowd out
/// the others (the node's own record, an operator's `warren lookup`).
public enum LookupReason: String, Sendable, CaseIterable, Codable {
    /// Joining, and refreshing buckets.
    case maintenance
    /// Storing this node's record at the nodes closest to its keys.
    case publish
    /// A packet went to an overlay address no peer owns (`AddressResolver`).
    case address
    /// A peer stopped answering and may have moved.
    case whereabouts
    /// An operator asked (`warren lookup`).
    case request
    /// Finding the nodes that keep a shard of the relay directory, to store or read it.
    case directory
}

/// Which lookups run now (security issue 11, finding 4): at most `maxRunning` at once and
/// `maxRunningPerReason` for any one reason; others wait in a queue of `maxQueued`, in order,
/// and start as running ones finish; beyond that they are refused. Every lookup costs
/// queries, and each query to a node never met costs a handshake: unbounded lookups let
/// whoever can start them (a member's answers, packets from the TUN) set that cost.
///
/// A plain value owned by `DHTNode`, which counts what was queued and refused.
struct LookupAdmission: Sendable {
    struct Request: Sendable {
        let id: UInt32
        let target: NodeID
        let wantsValue: Bool
        let toStore: PeerRecord?
        let reason: LookupReason
    }

    enum Decision: Equatable {
        case start, queued, refused
    }

    let maxRunning: Int
    let maxRunningPerReason: Int
    let maxQueued: Int
    private var running: [LookupReason: Int] = [:]
    private var runningTotal = 0
    private(set) var queue: [Request] = []

    init(maxRunning: Int, maxRunningPerReason: Int, maxQueued: Int) {
        self.maxRunning = maxRunning
        self.maxRunningPerReason = maxRunningPerReason
        self.maxQueued = maxQueued
    }

    /// A lookup wants to start. On `.start` it counts as running until `finished`.
    mutating func admit(_ request: Request) -> Decision {
        if hasRoom(for: request.reason) {
            began(request.reason)
            return .start
        }
        guard queue.count < maxQueued else { return .refused }
        queue.append(request)
        return .queued
    }

    /// A running lookup for `reason` ended: the queued ones that may start now, oldest first.
    mutating func finished(_ reason: LookupReason) -> [Request] {
        running[reason, default: 1] -= 1
        runningTotal -= 1
        var starting: [Request] = []
        var waiting: [Request] = []
        for request in queue {
            if hasRoom(for: request.reason) {
                began(request.reason)
                starting.append(request)
            } else {
                waiting.append(request)
            }
        }
        queue = waiting
        return starting
    }

    private func hasRoom(for reason: LookupReason) -> Bool {
        runningTotal < maxRunning && running[reason, default: 0] < maxRunningPerReason
    }

    private mutating func began(_ reason: LookupReason) {
        running[reason, default: 0] += 1
        runningTotal += 1
    }
}
