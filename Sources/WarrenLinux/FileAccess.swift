import Glibc

/// Whole-file reads and atomic writes for configuration, certificates and keys, with
/// errors that name the path: "reading /etc/warren/node.key: Permission denied (errno 13)".
/// Off the packet path; allocation is fine here.
public enum FileAccess {
    /// The file's bytes. Refuses files over `maxBytes` (EFBIG), so a wrong path such as a
    /// device or a huge log cannot exhaust memory.
    public static func readAll(path: String, maxBytes: Int = 16 << 20) throws(SystemError) -> [UInt8] {
        let operation = "reading \(path)"
        let descriptor = FileDescriptor(try Syscall.value(operation) { open(path, O_RDONLY | O_CLOEXEC) })
        defer { descriptor.close() }
        let fd = descriptor.rawValue
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.count
            // Invariant: read stores at most `count` bytes, the size of `chunk`.
            let received = try Syscall.value(operation) {
                chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
            }
            if received == 0 { return bytes }
            guard bytes.count + received <= maxBytes else {
                throw SystemError(operation: operation, errno: EFBIG, hint: "larger than \(maxBytes) bytes")
            }
            bytes.append(contentsOf: chunk[0..<received])
        }
    }

    /// The permission bits of `path` (`st_mode & 0o7777`, following symlinks), for checks
    /// such as "a private key must not be readable by group or others".
    public static func fileMode(path: String) throws(SystemError) -> UInt32 {
        var status = stat()
        _ = try Syscall.value("inspecting \(path)") { stat(path, &status) }
        return UInt32(status.st_mode) & 0o7777
    }

    /// Replaces `path` with `bytes` so that readers see the old file or the new one, never
    /// a part: writes a temporary file beside it (created with O_EXCL and `mode`, so a key
    /// is never readable by others even for a moment), fsyncs it, renames it over `path`
    /// and fsyncs the directory so the rename survives a crash.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32) throws(SystemError) {
        let operation = "writing \(path)"
        let temporary = "\(path).tmp.\(getpid())"
        // A leftover from a crashed process with our pid is stale by definition.
        _ = unlink(temporary)
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        let descriptor = FileDescriptor(try Syscall.value(operation) { open(temporary, flags, mode_t(mode)) })
        do {
            let fd = descriptor.rawValue
            // The umask may have removed bits from `mode`; set exactly what was asked.
            _ = try Syscall.value(operation) { fchmod(fd, mode_t(mode)) }
            var offset = 0
            while offset < bytes.count {
                let start = offset
                // Invariant: 0 <= start < bytes.count, so the range passed lies inside `bytes`.
                let written = try Syscall.value(operation) {
                    bytes.withUnsafeBytes { write(fd, $0.baseAddress! + start, $0.count - start) }
                }
                offset += written
            }
            _ = try Syscall.value(operation) { fsync(fd) }
            descriptor.close()
            _ = try Syscall.value(operation) { rename(temporary, path) }
        } catch {
            descriptor.close()
            _ = unlink(temporary)
            throw error
        }
        try syncDirectory(of: path, operation)
    }

    private static func syncDirectory(of path: String, _ operation: String) throws(SystemError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let descriptor = FileDescriptor(try Syscall.value(operation) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) })
        defer { descriptor.close() }
        let fd = descriptor.rawValue
        _ = try Syscall.value(operation) { fsync(fd) }
    }
}
