import Glibc

/// A unix-domain socket address (sockaddr_un) for a filesystem path, or for a Linux
/// abstract name written with a leading '@' as systemd does (`@/org/freedesktop/...`):
/// abstract names start with a NUL byte and are not NUL-terminated, so their length counts
/// exactly the name's bytes.
struct UnixSocketAddress {
    private var storage = sockaddr_un()
    let length: socklen_t

    /// Throws ENAMETOOLONG when the name does not fit sun_path (107 bytes for a path).
    init(_ name: String, operation: @autoclosure () -> String) throws(SystemError) {
        var bytes = Array(name.utf8)
        let isAbstract = bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        // A path needs room for its terminating NUL (already zero in `storage`).
        guard !bytes.isEmpty, bytes.count <= capacity - (isAbstract ? 0 : 1) else {
            throw SystemError(operation: operation(), errno: bytes.isEmpty ? EINVAL : ENAMETOOLONG)
        }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: bytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        length = socklen_t(pathOffset + bytes.count + (isAbstract ? 0 : 1))
    }

    /// Calls `body` with the address as the `sockaddr` pointer and length C calls take.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) { pointer in
            // Invariant: sockaddr_un begins with the sa_family_t every sockaddr begins with,
            // and the kernel reads only `length` bytes of it.
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
