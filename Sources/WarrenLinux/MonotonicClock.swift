import Glibc
public import WarrenWire

/// Reads CLOCK_MONOTONIC: the daemon's only source of `Instant`s, which it hands to the
/// protocol cores with every input. Monotonic time never jumps when the wall clock is set,
/// so timers and replay windows stay right across NTP steps (see tailscale's tstime/mono).
public enum MonotonicClock {
    public static func now() -> Instant {
        var time = timespec()
        // CLOCK_MONOTONIC always exists and `time` is a valid pointer, so this cannot fail.
        let result = clock_gettime(CLOCK_MONOTONIC, &time)
        precondition(result == 0, "clock_gettime(CLOCK_MONOTONIC) failed")
        return Instant(nanoseconds: UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec))
    }
}

/// Reads CLOCK_REALTIME, for what must be compared with other machines: certificate
/// validity and peer-record expiry. Never use it to measure intervals.
public enum WallClock {
    public static func nowUnixSeconds() -> UInt64 {
        nowUnixNanoseconds() / 1_000_000_000
    }

    /// Nanoseconds since the epoch, for handshake timestamps that must grow between
    /// initiations less than a second apart.
    public static func nowUnixNanoseconds() -> UInt64 {
        var time = timespec()
        let result = clock_gettime(CLOCK_REALTIME, &time)
        precondition(result == 0, "clock_gettime(CLOCK_REALTIME) failed")
        // A clock set before 1970 is a broken system; report the epoch instead of trapping.
        guard time.tv_sec > 0 else { return 0 }
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
