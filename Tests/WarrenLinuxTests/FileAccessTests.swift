import Glibc
import Testing
import WarrenLinux

@Suite("file access")
struct FileAccessTests {
    @Test("an atomic write leaves exactly the bytes and the mode asked for")
    func atomicWrite() throws {
        let path = "/tmp/wlx-file-\(uniqueSuffix()).key"
        defer { unlink(path) }
        try FileAccess.writeAtomically(Array("first".utf8), to: path, mode: 0o600)
        #expect(try FileAccess.fileMode(path: path) == 0o600)
        try FileAccess.writeAtomically(Array("second version".utf8), to: path, mode: 0o640)
        #expect(try FileAccess.readAll(path: path) == Array("second version".utf8))
        #expect(try FileAccess.fileMode(path: path) == 0o640)
        #expect(access("\(path).tmp.\(getpid())", F_OK) != 0)
    }

    @Test("reading a missing file names the path and the reason")
    func missing() {
        let error = #expect(throws: SystemError.self) { try FileAccess.readAll(path: "/tmp/wlx-no-such-file") }
        #expect(error?.description == "reading /tmp/wlx-no-such-file: No such file or directory (errno 2)")
    }

    @Test("a file over the size limit is refused")
    func tooLarge() throws {
        let path = "/tmp/wlx-file-\(uniqueSuffix())"
        defer { unlink(path) }
        try FileAccess.writeAtomically([UInt8](repeating: 1, count: 100), to: path, mode: 0o600)
        let error = #expect(throws: SystemError.self) { try FileAccess.readAll(path: path, maxBytes: 99) }
        #expect(error?.errno == EFBIG)
    }
}
