import Synchronization

/// Owns one file descriptor and closes it exactly once: on `close()` or when the owner is
/// released, whichever comes first. Every descriptor-holding type in this module keeps one,
/// so "who closes this fd" always has a single answer.
///
/// It is `Sendable` because reads and writes on one descriptor from several threads are
/// fine in the kernel. Closing is not: a thread still using the number after `close()` may
/// reach a descriptor the process has reused for something else. So stop the threads that
/// use a descriptor before closing it; `close()` only guarantees it happens once.
final class FileDescriptor: Sendable {
    let rawValue: Int32
    private let closed = Atomic<Bool>(false)

    init(_ rawValue: Int32) {
        precondition(rawValue >= 0, "FileDescriptor needs an open descriptor")
        self.rawValue = rawValue
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Syscall.close(rawValue)
    }

    deinit { close() }
}
