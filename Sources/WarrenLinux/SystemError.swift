import Glibc

/// A failed system call, told the way an operator reads it:
/// "binding UDP port 51820: Address already in use (errno 98)".
///
/// `operation` is either the bare call name ("sendmmsg") on the packet path, where building
/// a sentence would cost an allocation, or a phrase naming what was being done and to what
/// ("adding address 10.8.0.1/16 to warren0") everywhere else. `hint` is an optional
/// suggestion for the commonest cause ("is warren running?"). Only `WarrenLinux` creates
/// these; callers compare `errno` against the Glibc constants when they need to branch.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var hint: String?

    public init(operation: String, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.hint = hint
    }

    /// The C library's text for `errno`, such as "File exists".
    public var reason: String { Self.reason(errno) }

    public var description: String {
        let base = "\(operation): \(reason) (errno \(errno))"
        guard let hint else { return base }
        return "\(base) — \(hint)"
    }

    /// The same error with `operation` replaced, for callers that learn what they were doing
    /// only after the call failed (the interface name behind an index, say).
    func renamed(_ operation: String, hint: String? = nil) -> SystemError {
        SystemError(operation: operation, errno: errno, hint: hint ?? self.hint)
    }

    static func reason(_ code: Int32) -> String {
        // glibc's strerror returns static text for every known errno and a per-thread buffer
        // for unknown ones, so reading it at once is safe.
        guard let text = strerror(code) else { return "Unknown error \(code)" }
        return String(cString: text)
    }
}
