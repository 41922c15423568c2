import Foundation
import Glibc
import Testing

extension IntegrationTests {
    @Test("warren genkey --out writes a valid key with mode 0600, prints no secret, and refuses to overwrite without --force")
    func genkeyOut() async throws {
        try await Lab.run { lab in
            let path = lab.path("node.key")
            let written = try await Command.check([lab.warren, "genkey", "--out", path])
            var status = stat()
            #expect(lstat(path, &status) == 0 && status.st_mode & 0o7777 == 0o600, "mode \(String(status.st_mode & 0o7777, radix: 8))")
            let key = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!written.stdout.contains(key.trimmingCharacters(in: .whitespacesAndNewlines)), "\(written)")
            // The key is one `warren pubkey` reads, and its public key is the one printed.
            let publicKey = try await Command.check(["sh", "-c", "\(lab.warren) pubkey < \(path)"]).stdout
            #expect(written.stdout.contains(publicKey.trimmingCharacters(in: .whitespacesAndNewlines)), "\(written) vs \(publicKey)")

            let refused = try await Command.run([lab.warren, "genkey", "--out", path])
            #expect(refused.status == 2 && refused.stderr.contains("exists; refusing to overwrite it (use --force)"), "\(refused)")
            #expect(try String(contentsOfFile: path, encoding: .utf8) == key)

            try await Command.check([lab.warren, "genkey", "--out", path, "--force"])
            #expect(try String(contentsOfFile: path, encoding: .utf8) != key)
            #expect(lstat(path, &status) == 0 && status.st_mode & 0o7777 == 0o600)
        }
    }

    @Test("warren genkey --out on a full file system fails and leaves neither the key nor a temporary file")
    func genkeyOutFailureLeavesNothing() async throws {
        try await Lab.run { lab in
            let full = lab.path("full")
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: false)
            try await Command.check(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", full])
            defer { _ = Command.runBlocking(["umount", full]) }
            // Fills the one page the file system has; dd then fails with ENOSPC, as meant.
            _ = try await Command.run(["dd", "if=/dev/zero", "of=\(full)/filler", "bs=4096", "count=4"])

            let result = try await Command.run([lab.warren, "genkey", "--out", "\(full)/node.key"])
            #expect(result.status == 1 && result.stderr.contains("No space left on device"), "\(result)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: full) == ["filler"])
        }
    }
}
