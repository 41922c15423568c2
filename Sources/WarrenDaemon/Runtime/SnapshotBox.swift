import Synchronization

/// Where the control thread publishes a table for the packet threads (the routing snapshot,
/// a relay's forwarding table). A packet thread copies it once per batch (a few
/// reference-count operations under a short lock) and then uses it for the whole batch
/// without locking.
final class SnapshotBox<Value: Sendable>: Sendable {
    private let current: Mutex<Value>

    init(_ initial: Value) {
        current = Mutex(initial)
    }

    func publish(_ value: Value) {
        current.withLock { $0 = value }
    }

    func read() -> Value {
        current.withLock { $0 }
    }
}
