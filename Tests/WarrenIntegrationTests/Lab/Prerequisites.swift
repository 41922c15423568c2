import Foundation
import Glibc

/// What the integration tests need from the machine. Anything missing is a failure with a
/// sentence saying how to fix it, never a skip: a suite that silently passes without a
/// `warren` binary proves nothing.
enum Prerequisites {
    /// The package's debug build (/work/main/.build/debug/warren in our checkout), found from
    /// this file's path, which is Tests/WarrenIntegrationTests/Lab/ under the package root.
    static let defaultBinary = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/warren").path

    /// The `warren` binary under test: $WARREN_BINARY, or the package's debug build.
    static func warrenBinary() throws -> String {
        let path = ProcessInfo.processInfo.environment["WARREN_BINARY"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultBinary
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw LabError("""
                the warren binary \(path) does not exist or is not executable: build it first \
                (`swift build`), or point WARREN_BINARY at it (scripts/test does both)
                """)
        }
        return path
    }

    /// Namespaces, veth pairs and TUN devices need root (CI runs as root).
    static func requireRoot() throws {
        guard geteuid() == 0 else {
            throw LabError("the integration tests must run as root: they create network namespaces, veth pairs and TUN devices")
        }
    }

    /// Fails unless every program is on PATH.
    static func requireTools(_ tools: [String]) throws {
        let missing = tools.filter { find($0) == nil }
        guard missing.isEmpty else {
            throw LabError("missing programs: \(missing.joined(separator: ", ")); run scripts/install-deps")
        }
    }

    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
