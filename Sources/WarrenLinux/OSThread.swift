import Glibc

/// An OS thread for long-lived, blocking work (the packet path, host name lookups), started
/// with pthreads and joined on shutdown: Swift's cooperative executors are not for blocking.
/// The body runs until it returns; stopping it is the body's business (the daemon signals an
/// eventfd it polls).
public final class OSThread: @unchecked Sendable {
    // @unchecked: `handle` is written once by `start` before any other thread can see this
    // object and read once by `join` on the thread that started it.
    private var handle = pthread_t()
    public let name: String

    private final class Box {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts `body` on a new thread; `name` is for messages about it.
    public init(name: String, body: @escaping @Sendable () -> Void) throws(SystemError) {
        self.name = name
        let box = Unmanaged.passRetained(Box(name: name, body: body))
        let rc = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw SystemError(operation: "starting thread \(name)", errno: rc)
        }
    }

    /// Waits for the body to return.
    public func join() {
        _ = pthread_join(handle, nil)
    }

    /// Lets the thread end on its own, unwaited: for a body that may be blocked in a call
    /// that does not watch for shutdown (a DNS lookup) when the process exits.
    public func detach() {
        _ = pthread_detach(handle)
    }
}
