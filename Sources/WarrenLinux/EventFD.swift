import CLinux
import Glibc

/// A kernel counter that one thread signals and another polls: how the control thread wakes
/// a data-plane thread blocked in `Poller.wait` (a new session table, shutdown), and back.
/// Non-blocking; signals coalesce, so one `drain` answers any number of `signal`s.
public final class EventFD: Sendable {
    private let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    public init() throws(SystemError) {
        let raw = try Syscall.value("creating an eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        descriptor = FileDescriptor(raw)
    }

    /// Makes the descriptor readable. Safe from any thread.
    public func signal() throws(SystemError) {
        var one: UInt64 = 1
        let fd = descriptor.rawValue
        // EAGAIN means the counter is saturated: already signalled, nothing to add.
        // Invariant: an eventfd transfers exactly 8 bytes, the size of `one`.
        _ = try Syscall.run("signalling an eventfd") { write(fd, &one, MemoryLayout<UInt64>.size) }
    }

    /// Resets the counter. Returns how many signals were pending, 0 if none.
    @discardableResult
    public func drain() throws(SystemError) -> UInt64 {
        var count: UInt64 = 0
        let fd = descriptor.rawValue
        // Invariant: an eventfd transfers exactly 8 bytes, the size of `count`.
        switch try Syscall.run("draining an eventfd", { read(fd, &count, MemoryLayout<UInt64>.size) }) {
        case .done: return count
        case .wouldBlock: return 0
        }
    }

    public func close() { descriptor.close() }
}
