import Glibc

extension FileAccess {
    /// Whether anything exists at `path` (without following a final symlink).
    public static func exists(path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Creates `path` (and missing parents) with `mode`; an existing directory is fine.
    public static func makeDirectory(path: String, mode: UInt32) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, mode_t(mode)) != 0 {
                let code = errno
                guard code == EEXIST else { throw SystemError(operation: "creating directory \(prefix)", errno: code) }
            }
            prefix += "/"
        }
    }
}
