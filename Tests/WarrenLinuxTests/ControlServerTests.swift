import Glibc
import Testing
import WarrenWire
@testable import WarrenLinux

@Suite("control socket server")
struct ControlServerTests {
    private func temporaryPath() -> String { "/tmp/wlx-srv-\(uniqueSuffix()).sock" }

    /// A client that connects and then does nothing.
    private func silentClient(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        try #require(try UnixSocketAddress(path, operation: "test").withSockaddr { connect(fd, $0, $1) } == 0)
        return fd
    }

    /// Everything the server writes to `fd` until it closes the connection, and how long that took.
    private func readToEnd(_ fd: Int32) -> (bytes: [UInt8], milliseconds: Int) {
        let started = MonotonicClock.now()
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return (bytes, Int(MonotonicClock.now().since(started).nanosecondsValue / 1_000_000))
    }

    @Test("silent clients do not delay another client's request, and are closed at their deadline")
    func silentClientsWaitAlone() throws {
        let path = temporaryPath()
        let served = try ServedSocket(path: path, requestTimeout: .milliseconds(300))
        defer { served.shutdown() }
        let silent = try (0..<15).map { _ in try silentClient(path) }
        defer { silent.forEach { close($0) } }

        let started = MonotonicClock.now()
        let client = Background { try UnixControlSocket.request(path: path, line: "status") }
        let request = try #require(try served.nextRequest())
        let waited = MonotonicClock.now().since(started)
        #expect(waited < .milliseconds(200), "the request waited \(waited) behind silent clients")
        request.respond(Array("ok".utf8))
        #expect(try client.join() == Array("ok".utf8))

        for fd in silent {
            let (bytes, milliseconds) = readToEnd(fd)
            #expect(bytes.isEmpty && milliseconds < 2000, "a silent client was closed after \(milliseconds) ms")
        }
    }

    @Test("a client beyond the cap is told so and closed at once; a freed slot serves the next")
    func capRefusesExtras() throws {
        let path = temporaryPath()
        let served = try ServedSocket(path: path, maxClients: 2, requestTimeout: .milliseconds(500))
        defer { served.shutdown() }
        let silent = try (0..<2).map { _ in try silentClient(path) }
        let extra = try silentClient(path)
        defer { close(extra) }
        let (refusal, milliseconds) = readToEnd(extra)
        #expect(String(decoding: refusal, as: UTF8.self) == "{\"error\":\"too many control clients; try again\"}\n")
        #expect(milliseconds < 400, "the refusal took \(milliseconds) ms")

        silent.forEach { close($0) }
        let client = Background { try UnixControlSocket.request(path: path, line: "status") }
        let request = try #require(try served.nextRequest())
        request.respond(Array("ok".utf8))
        #expect(try client.join() == Array("ok".utf8))
    }

    @Test("a reply to a client that hung up while the daemon worked is dropped, and its slot freed")
    func replyToGoneClient() throws {
        let path = temporaryPath()
        let served = try ServedSocket(path: path, maxClients: 1)
        defer { served.shutdown() }
        let gone = try silentClient(path)
        #expect(send(gone, "lookup 10.8.0.9\n", 16, 0) == 16)
        let request = try #require(try served.nextRequest())
        close(gone)
        // The slot frees on the hang-up, not when the reply comes; give the server thread
        // a moment to see it before the next client knocks.
        usleep(50_000)
        let client = Background { try UnixControlSocket.request(path: path, line: "status") }
        let next = try #require(try served.nextRequest())
        request.respond(Array("too late".utf8))
        next.respond(Array("ok".utf8))
        #expect(try client.join() == Array("ok".utf8))
    }
}
