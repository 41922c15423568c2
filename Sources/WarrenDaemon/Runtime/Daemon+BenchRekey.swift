import Logging
import WarrenLinux
import WarrenNode
import WarrenSession

extension Daemon {
    static let benchRekeyVariable = "WARREN_BENCH_REKEY_SECONDS"

    /// bench/soak renews keys every few seconds to test rekeys by the hundred in an hour.
    /// It is an environment variable, not a config key, so no deployed node sets it by
    /// accident, and it can only shorten the interval (1–120 s): more handshakes, never keys
    /// kept longer. Unset, nothing changes.
    static func applyBenchRekey(to manager: SessionManager, logger: Logger) {
        guard let text = Environment.value(benchRekeyVariable) else { return }
        guard let seconds = Int64(text), (1...Timing.rekeyAfterTime.components.seconds).contains(seconds) else {
            logger.warning("ignoring \(benchRekeyVariable)", metadata: .init([.reason: "\"\(text)\" is not a whole number of seconds from 1 to 120"]))
            return
        }
        manager.rekeyAfterTime = .seconds(seconds)
        logger.warning("renewing session keys every \(seconds) s, for a benchmark (\(benchRekeyVariable))")
    }
}
