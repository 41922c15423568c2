import Synchronization
import WarrenSession

/// Where the control thread publishes the routing snapshot for the packet threads. A packet
/// thread copies it once per batch (a few reference-count operations under a short lock) and
/// then routes the whole batch without locking.
final class SnapshotBox: Sendable {
    private let current = Mutex(RoutingSnapshot.empty)

    func publish(_ snapshot: RoutingSnapshot) {
        current.withLock { $0 = snapshot }
    }

    func read() -> RoutingSnapshot {
        current.withLock { $0 }
    }
}
