import Glibc

/// The simulator's own footprint. getrusage(2) directly: this is a developer tool, not part
/// of the daemon, so it does not go through WarrenLinux.
enum ProcessUsage {
    /// Peak resident set size so far (ru_maxrss is in kilobytes on Linux).
    static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Double(usage.ru_maxrss) / 1024
    }
}
