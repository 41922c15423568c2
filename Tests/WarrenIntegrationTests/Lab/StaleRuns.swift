import Foundation
import Glibc

/// Leftovers of earlier runs of this suite that died before their teardown (a crash, a
/// killed test runner): namespaces and temporary files named `wit<pid>-…` after a process
/// that no longer exists. Those of runs still going, and anything not named by this suite,
/// are left alone.
enum StaleRuns {
    static let namePrefix = "wit"

    static func sweep() {
        for name in NetworkNamespace.all() where isStale(name) {
            NetworkNamespace(name: name).deleteBlocking()
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [] where isStale(entry) {
            try? FileManager.default.removeItem(atPath: "/tmp/" + entry)
        }
    }

    static func isStale(_ name: String) -> Bool {
        guard let pid = owner(of: name), pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// The process id in `wit<pid>-…`, or nil for names this suite did not make.
    static func owner(of name: String) -> Int32? {
        guard name.hasPrefix(namePrefix) else { return nil }
        let rest = name.dropFirst(namePrefix.count)
        guard let dash = rest.firstIndex(of: "-") else { return nil }
        return Int32(rest[..<dash])
    }
}
