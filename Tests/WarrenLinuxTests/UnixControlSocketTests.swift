import Glibc
import Testing
@testable import WarrenLinux

@Suite("control socket")
struct UnixControlSocketTests {
    private func temporaryPath() -> String { "/tmp/wlx-ctl-\(uniqueSuffix()).sock" }

    /// Serves one connection: waits for it, reads its line, answers with `reply(line)`.
    private func serveOne(_ server: UnixControlSocket, reply: (String?) -> [UInt8]) throws {
        let poller = try Poller()
        try poller.add(server.fileDescriptor, token: 1)
        #expect(try poller.wait(timeoutMilliseconds: 5000) == 1)
        let connection = try #require(try server.accept())
        #expect(try connection.peerUserID() == geteuid())
        try connection.respond(reply(try connection.readLine()))
    }

    @Test("a request line gets the daemon's reply, and the socket is mode 0660")
    func roundTrip() throws {
        let path = temporaryPath()
        let server = try UnixControlSocket(path: path)
        defer { server.close() }
        #expect(try FileAccess.fileMode(path: path) == 0o660)
        let client = Background { try UnixControlSocket.request(path: path, line: "status") }
        try serveOne(server) { line in Array("you asked: \(line ?? "nothing")\n".utf8) }
        #expect(String(decoding: try client.join(), as: UTF8.self) == "you asked: status\n")
        #expect(try server.accept() == nil)
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

    @Test("a client that never sends a line times out instead of hanging the daemon")
    func silentClient() throws {
        let path = temporaryPath()
        let server = try UnixControlSocket(path: path)
        defer { server.close() }
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        #expect(try UnixSocketAddress(path, operation: "test").withSockaddr { connect(client, $0, $1) } == 0)
        let poller = try Poller()
        try poller.add(server.fileDescriptor, token: 1)
        _ = try poller.wait(timeoutMilliseconds: 2000)
        let connection = try #require(try server.accept())
        let error = #expect(throws: SystemError.self) { try connection.readLine(timeoutMilliseconds: 50) }
        #expect(error?.errno == ETIMEDOUT)
    }
}
