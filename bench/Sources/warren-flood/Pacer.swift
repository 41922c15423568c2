import Glibc
import WarrenLinux
import WarrenWire

/// Holds a sender to `perSecond` datagrams on average (0: no limit) for a number of
/// seconds. It sleeps only when ahead of schedule, so below the target the rate is what
/// one core manages.
struct Pacer {
    let perSecond: Double
    let start: Instant
    let end: Instant
    private var due: Instant

    init(perSecond: Double, seconds: Int64) {
        self.perSecond = perSecond
        start = MonotonicClock.now()
        end = start + .seconds(seconds)
        due = start
    }

    var elapsed: Duration { MonotonicClock.now().since(start) }

    /// Call after sending `count` datagrams; false once the time is up.
    mutating func paced(after count: Int) -> Bool {
        let now = MonotonicClock.now()
        guard now < end else { return false }
        guard perSecond > 0 else { return true }
        // A sleep that overran is made up for, but no more than 10 ms of it at once.
        let behind = Instant(nanoseconds: now.nanoseconds - min(now.nanoseconds, 10_000_000))
        due = max(due, behind) + .nanoseconds(Int64(Double(count) * 1e9 / perSecond))
        if due > now { usleep(UInt32(due.since(now).nanosecondsValue / 1000)) }
        return true
    }
}
