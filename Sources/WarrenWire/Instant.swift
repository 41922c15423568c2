/// A point on the monotonic clock, in nanoseconds since an arbitrary origin. Cores never read
/// the clock: the daemon reads CLOCK_MONOTONIC and passes an `Instant` with every input.
public struct Instant: Hashable, Sendable, Comparable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    public static func < (l: Instant, r: Instant) -> Bool { l.nanoseconds < r.nanoseconds }

    public static func + (l: Instant, r: Duration) -> Instant {
        Instant(nanoseconds: l.nanoseconds &+ UInt64(max(0, r.nanosecondsValue)))
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    public func since(_ earlier: Instant) -> Duration {
        nanoseconds >= earlier.nanoseconds ? .nanoseconds(Int64(nanoseconds - earlier.nanoseconds)) : .zero
    }
}

extension Duration {
    public var nanosecondsValue: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    public var secondsValue: Double { Double(nanosecondsValue) / 1e9 }
}

/// The time as a core sees it: the monotonic clock for timers, and the wall clock for
/// certificate validity and handshake timestamps. Read once by the caller, passed in.
public struct Moment: Sendable {
    public var instant: Instant
    public var unixNanoseconds: UInt64

    public init(instant: Instant, unixNanoseconds: UInt64) {
        self.instant = instant
        self.unixNanoseconds = unixNanoseconds
    }

    public var unixSeconds: UInt64 { unixNanoseconds / 1_000_000_000 }
}
