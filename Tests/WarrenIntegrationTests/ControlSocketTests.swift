import Foundation
import Glibc
import Testing

extension IntegrationTests {
    @Test("fifteen silent control clients delay neither a handshake with the daemon nor its status")
    func silentControlClients() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            let b = try await lab.addNode("b")
            try lab.configure(a, peers: [b])
            try lab.configure(b, peers: [])
            try await lab.start(b)
            // Clients that connect and say nothing, as a stuck script or a hostile local user would.
            let silent = try (0..<15).map { _ in try connectSilently(to: b.socketPath) }
            defer { silent.forEach { close($0) } }

            let started = ContinuousClock.now
            try await lab.start(a)
            try await lab.waitUntilConnected(a, to: [b], timeout: .seconds(30))
            let handshake = ContinuousClock.now - started
            print("a connected to b in \(handshake) with 15 silent clients on b's control socket")
            #expect(handshake < .seconds(3), "the handshake took \(handshake)")
            try await lab.requirePing(from: a, to: b.overlayIPv4)

            let more = try (0..<15).map { _ in try connectSilently(to: b.socketPath) }
            defer { more.forEach { close($0) } }
            let asked = ContinuousClock.now
            let status = try await lab.status(b)
            let answered = ContinuousClock.now - asked
            print("b's status answered in \(answered) with 15 more silent clients")
            #expect(status.peer(a)?.state == "connected")
            #expect(answered < .seconds(1), "status took \(answered)")
        }
    }

    @Test("a daemon out of file descriptors does not spin on its control socket, and answers again once it has some")
    func controlSocketBacksOffOnAcceptErrors() async throws {
        try await Lab.run { lab in
            let a = try await lab.addNode("a")
            try lab.configure(a, peers: [])
            try await lab.start(a)
            let pid = try #require(a.daemon?.processIdentifier)
            let limits = try await Command.check(["prlimit", "--pid", "\(pid)", "--nofile", "--noheadings", "--output", "SOFT"])
            let original = limits.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            // The next descriptor the daemon opens would be the lowest free one: allow none.
            let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int($0) }
            let lowestFree = (0...).first { !open.contains($0) }!
            try await Command.check(["prlimit", "--pid", "\(pid)", "--nofile=\(lowestFree):"])

            // accept() now fails with EMFILE and the client stays in the backlog.
            let waiting = try connectSilently(to: a.socketPath)
            defer { close(waiting) }
            try await Task.sleep(for: .milliseconds(200))
            let before = try cpuTicks(pid)
            try await Task.sleep(for: .seconds(2))
            let used = try cpuTicks(pid) - before
            print("the daemon used \(used) clock ticks of CPU in 2 s while out of descriptors")
            #expect(used < 30, "the daemon used \(used) of 200 ticks: it spins")

            try await Command.check(["prlimit", "--pid", "\(pid)", "--nofile=\(original):"])
            try await lab.waitForStatus(a, timeout: .seconds(3), "a answers again") { _ in true }
        }
    }
}

/// A control-socket client that connects and sends nothing.
private func connectSilently(to path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket: errno \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else {
        let code = errno
        close(fd)
        throw LabError("connecting to \(path): errno \(code)")
    }
    return fd
}

/// User plus system CPU time of process `pid` so far, in clock ticks (1/100 s).
private func cpuTicks(_ pid: Int32) throws -> Int {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    guard let close = stat.lastIndex(of: ")") else { throw LabError("unreadable /proc/\(pid)/stat") }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else {
        throw LabError("unreadable /proc/\(pid)/stat: \(stat)")
    }
    return user + system
}
