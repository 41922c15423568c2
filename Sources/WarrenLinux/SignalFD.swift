import CLinux
import Glibc

/// A POSIX signal number with a name for logs.
public struct ProcessSignal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// SIGTERM: systemd's stop; shut down cleanly.
    public static let terminate = ProcessSignal(rawValue: SIGTERM)
    /// SIGINT: Ctrl-C in a terminal; shut down cleanly.
    public static let interrupt = ProcessSignal(rawValue: SIGINT)
    /// SIGHUP: reload the configuration.
    public static let hangup = ProcessSignal(rawValue: SIGHUP)

    public var description: String {
        switch rawValue {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        default: "signal \(rawValue)"
        }
    }
}

/// Delivers signals as readable events on a descriptor, so the event loop handles SIGTERM
/// and SIGHUP like any other input instead of in an async-signal handler.
///
/// Creating one blocks its signals in the calling thread. Threads inherit the signal mask
/// of the thread that creates them, so create the SignalFD in `main` before any other thread
/// starts (data-plane threads, and anything that starts threads behind your back, such as
/// Dispatch or Swift concurrency). A thread that does not block a signal would receive it
/// instead, and for SIGTERM, SIGINT and SIGHUP the default action ends the process.
public final class SignalFD: Sendable {
    public static let daemonSignals: [ProcessSignal] = [.terminate, .interrupt, .hangup]

    private let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    public init(signals: [ProcessSignal] = SignalFD.daemonSignals) throws(SystemError) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal.rawValue) }
        // pthread_sigmask returns its error instead of setting errno.
        let status = pthread_sigmask(SIG_BLOCK, &set, nil)
        guard status == 0 else { throw SystemError(operation: "blocking signals", errno: status) }
        let raw = try Syscall.value("creating a signalfd") { signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) }
        descriptor = FileDescriptor(raw)
    }

    /// The next pending signal, or nil when none is pending.
    public func next() throws(SystemError) -> ProcessSignal? {
        var info = signalfd_siginfo()
        let fd = descriptor.rawValue
        switch try Syscall.run("reading a signalfd", { read(fd, &info, MemoryLayout<signalfd_siginfo>.size) }) {
        case .done(let count):
            // The kernel returns whole signalfd_siginfo records only.
            precondition(count == MemoryLayout<signalfd_siginfo>.size, "short read from signalfd")
            return ProcessSignal(rawValue: Int32(bitPattern: info.ssi_signo))
        case .wouldBlock:
            return nil
        }
    }

    public func close() { descriptor.close() }
}
