import Foundation
import Testing

extension IntegrationTests {
    @Test("warren check on a config whose key file has mode 0644 exits with status 2 and one line naming the file and node.key")
    func checkRefusesAKeyReadableByOthers() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            try lab.configure(a, peers: [])
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: a.keyPath)

            let result = try await Command.run(a.exec(lab.warren, "check", "-c", a.configPath))
            #expect(result.status == 2, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            let lines = result.stderr.split(whereSeparator: \.isNewline)
            try #require(lines.count == 1, "expected one line on stderr: \(result)")
            let line = String(lines[0])
            #expect(line.contains(a.configPath), "\(line)")
            #expect(line.contains("node.key"), "\(line)")
            #expect(line.contains(a.keyPath), "\(line)")
        }
    }
}
