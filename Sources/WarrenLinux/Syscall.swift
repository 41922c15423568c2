import Glibc

// The one funnel every system call in Warren goes through.
//
// errno is a thread-local that any later call may overwrite, including a free() hidden in a
// release. So the funnel calls the closure and reads errno on the very next line, before
// anything else can run; the closures passed in only make the call. It then sorts the
// result (after swift-nio's NIOPosix/System.swift):
//
// - EINTR: a signal arrived before the call did anything; retry it.
// - EAGAIN / EWOULDBLOCK: a non-blocking descriptor has nothing to give or no room to take.
//   On the packet path that is the normal end of a batch, so it is a result, `.wouldBlock`,
//   not an error.
// - EBADF / EFAULT: we passed a closed descriptor or a bad pointer. That is a bug in this
//   module, never a condition of the system, and carrying on could read or write someone
//   else's descriptor; so it traps.
// - Anything else becomes a `SystemError` naming the operation.

/// What a call on a non-blocking descriptor did: completed with a value, or would have had
/// to wait.
enum SyscallResult<Value> {
    case done(Value)
    case wouldBlock
}

enum Syscall {
    /// Runs `body` until it is not interrupted. `failed` says which return values mean
    /// "look at errno" (-1 for most calls, nil for pointers, 0 for if_nametoindex).
    /// `operation` is evaluated only when an error is thrown, so building it costs nothing
    /// on success.
    @inline(__always)
    static func run<Value>(
        _ operation: @autoclosure () -> String,
        failed: (Value) -> Bool,
        _ body: () -> Value
    ) throws(SystemError) -> SyscallResult<Value> {
        while true {
            let value = body()
            guard failed(value) else { return .done(value) }
            let code = Glibc.errno  // Read at once: nothing between the call and here touches errno.
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                return .wouldBlock
            case EBADF, EFAULT:
                preconditionFailure("\(operation()): \(SystemError.reason(code)) — a bug in WarrenLinux")
            default:
                throw SystemError(operation: operation(), errno: code)
            }
        }
    }

    /// `run` for calls that return -1 and set errno.
    @inline(__always)
    static func run<Value: SignedInteger & FixedWidthInteger>(
        _ operation: @autoclosure () -> String,
        _ body: () -> Value
    ) throws(SystemError) -> SyscallResult<Value> {
        try run(operation(), failed: { $0 == -1 }, body)
    }

    /// `run` for calls that cannot or must not would-block (bind, setsockopt, a blocking
    /// socket with a timeout): EAGAIN is reported as an error like any other.
    @inline(__always)
    static func value<Value: SignedInteger & FixedWidthInteger>(
        _ operation: @autoclosure () -> String,
        _ body: () -> Value
    ) throws(SystemError) -> Value {
        switch try run(operation(), body) {
        case .done(let value): return value
        case .wouldBlock: throw SystemError(operation: operation(), errno: EAGAIN)
        }
    }

    /// Closes a descriptor we own. On Linux the descriptor is released even when close
    /// reports EINTR or EIO, so retrying could close a descriptor another thread has just
    /// been given; those are ignored. EBADF means we closed it twice: a bug.
    static func close(_ descriptor: Int32) {
        if Glibc.close(descriptor) == -1 {
            let code = Glibc.errno
            precondition(code != EBADF, "close(\(descriptor)): descriptor was not open — a bug in WarrenLinux")
        }
    }
}
