import Glibc

/// Writes a line to stderr (fd 2) directly, where journald picks it up; for the CLI's
/// messages, which must not mix with stdout's tables and JSON.
public enum StandardError {
    public static func writeLine(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
