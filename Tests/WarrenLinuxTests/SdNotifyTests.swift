import Glibc
import Testing
@testable import WarrenLinux

@Suite("sd_notify")
struct SdNotifyTests {
    /// A datagram socket standing in for systemd's notification socket.
    private func listen(on name: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        let address = try UnixSocketAddress(name, operation: "test")
        #expect(address.withSockaddr { bind(fd, $0, $1) } == 0)
        return fd
    }

    private func receive(_ fd: Int32) -> String {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 2000) == 1 else { return "<nothing>" }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return String(decoding: buffer[0..<max(count, 0)], as: UTF8.self)
    }

    @Test("the state reaches a socket at a path exactly as given")
    func path() throws {
        let path = "/tmp/wlx-notify-\(uniqueSuffix()).sock"
        let fd = try listen(on: path)
        defer { close(fd); unlink(path) }
        let state = "READY=1\nSTATUS=3 peers connected"
        try SdNotify.send(state, toSocket: path)
        #expect(receive(fd) == state)
    }

    @Test("an @name reaches the abstract socket of that name")
    func abstract() throws {
        let name = "@wlx-notify-\(uniqueSuffix())"
        let fd = try listen(on: name)
        defer { close(fd) }
        try SdNotify.send("STOPPING=1", toSocket: name)
        #expect(receive(fd) == "STOPPING=1")
    }

    @Test("a missing notification socket is an error that names it")
    func missing() {
        let error = #expect(throws: SystemError.self) { try SdNotify.send("READY=1", toSocket: "/tmp/wlx-absent.sock") }
        #expect(error?.description.hasPrefix("notifying systemd at /tmp/wlx-absent.sock: No such file or directory") == true)
    }
}
