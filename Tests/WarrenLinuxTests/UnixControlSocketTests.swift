import Glibc
import Testing
@testable import WarrenLinux

@Suite("control socket")
struct UnixControlSocketTests {
    private func temporaryPath() -> String { "/tmp/wlx-ctl-\(uniqueSuffix()).sock" }

    @Test("a request line gets the daemon's reply, and the socket is mode 0660")
    func roundTrip() throws {
        let path = temporaryPath()
        let served = try ServedSocket(path: path)
        defer { served.shutdown() }
        #expect(try FileAccess.fileMode(path: path) == 0o660)
        let client = Background { try UnixControlSocket.request(path: path, line: "status") }
        let request = try #require(try served.nextRequest())
        #expect(request.line == "status")
        #expect(request.peerUserID == geteuid())
        request.respond(Array("you asked: \(request.line)\n".utf8))
        #expect(String(decoding: try client.join(), as: UTF8.self) == "you asked: status\n")
    }

    @Test("the socket file appears at its path by a rename, already with its mode and group, and nothing else is left")
    func appearsComplete() throws {
        var template = Array("/tmp/wlx-ctl-dir-XXXXXX".utf8CString)
        let directory = String(cString: try #require(mkdtemp(&template)))
        defer { rmdir(directory) }
        let watch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(watch >= 0)
        defer { close(watch) }
        try #require(inotify_add_watch(watch, directory, UInt32(IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) >= 0)
        let path = directory + "/ctl.sock"
        // A group other than ours, so a chown is visible (the tests run as root).
        let groupID: UInt32 = getegid() == 1 ? 2 : 1
        let server = try UnixControlSocket(path: path, groupID: groupID)
        defer { server.close() }

        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o660 && status.st_gid == groupID)
        // bind() in place would report IN_CREATE, and a chmod or chown after it IN_ATTRIB.
        let events = readEvents(watch).filter { $0.name == "ctl.sock" }.map(\.mask)
        #expect(events == [UInt32(IN_MOVED_TO)], "inotify saw \(events.map { String($0, radix: 16) })")
        #expect(try directoryEntries(directory) == ["ctl.sock"])
    }

    @Test("closing the socket removes its file")
    func closeUnlinks() throws {
        let path = temporaryPath()
        let server = try UnixControlSocket(path: path)
        server.close()
        #expect(access(path, F_OK) != 0)
    }

    @Test("a stale socket file is replaced, a live one is refused")
    func staleAndLive() throws {
        let path = temporaryPath()
        // A socket file nobody listens on, as a crashed daemon leaves behind.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(try UnixSocketAddress(path, operation: "test").withSockaddr { bind(stale, $0, $1) } == 0)
        close(stale)
        let server = try UnixControlSocket(path: path)
        defer { server.close() }
        let error = #expect(throws: SystemError.self) { try UnixControlSocket(path: path) }
        #expect(error?.errno == EADDRINUSE)
    }

    @Test("connecting to a daemon that is not running says so")
    func notRunning() {
        let path = temporaryPath()
        let error = #expect(throws: SystemError.self) { try UnixControlSocket.request(path: path, line: "status") }
        #expect(error?.description == "cannot connect to \(path): No such file or directory (errno 2) — is warren running?")
    }

    private func readEvents(_ fd: Int32) -> [(mask: UInt32, name: String)] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        var events: [(UInt32, String)] = []
        var offset = 0
        // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
        while count > 0 && offset + 16 <= count {
            func word(_ at: Int) -> UInt32 { buffer[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
            let length = Int(word(offset + 12))
            let name = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
            events.append((word(offset + 4), String(decoding: name, as: UTF8.self)))
            offset += 16 + length
        }
        return events
    }

    private func directoryEntries(_ path: String) throws -> [String] {
        let directory = try #require(opendir(path))
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// A `ControlServer` on its own thread, as the daemon runs it, with the control thread's
/// side played by the test: `nextRequest` waits for what the server read.
final class ServedSocket: Sendable {
    let server: ControlServer
    private let stop: EventFD
    private let thread: OSThread

    init(path: String, maxClients: Int = ControlServer.defaultMaxClients,
         requestTimeout: Duration = .seconds(2)) throws {
        server = try ControlServer(socket: UnixControlSocket(path: path), maxClients: maxClients, requestTimeout: requestTimeout)
        let (server, stop) = (server, try EventFD())
        self.stop = stop
        thread = try OSThread(name: "test-ctl") { try? server.run(stop: stop) }
    }

    /// The next request the server read, or nil if none came within `timeoutMilliseconds`.
    func nextRequest(timeoutMilliseconds: Int32 = 5000) throws -> ControlRequest? {
        let poller = try Poller()
        try poller.add(server.fileDescriptor, token: 1)
        guard try poller.wait(timeoutMilliseconds: timeoutMilliseconds) == 1 else { return nil }
        return server.takeRequests().first
    }

    func shutdown() {
        try? stop.signal()
        thread.join()
        server.socket.close()
    }
}
