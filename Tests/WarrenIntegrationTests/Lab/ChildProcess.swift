import Glibc

/// A program the lab runs, started with `posix_spawnp` and reaped with `waitpid` here.
///
/// Not Foundation's `Process`: on Linux it learns that a child ended when a socket the child
/// inherited reaches end-of-file, and then blocks its single manager thread in `waitpid`
/// for that child. sshd closes every inherited descriptor when it starts, so the manager
/// thread blocks until sshd exits, and no other `Process` in the test binary is reaped
/// meanwhile (daemons and `ss` stayed zombies, and the suite hung).
///
/// The child gets /dev/null as standard input, its output in files, default signal
/// dispositions and an empty signal mask (whatever the test runner's threads have), its
/// own process group (a terminal's Ctrl-C reaches only the test runner), and no other
/// descriptors of ours.
final class ChildProcess {
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    let arguments: [String]
    let pid: pid_t
    private var ending: Ending?

    /// Starts `arguments[0]` (looked up on PATH) with standard output to `stdoutPath` and
    /// standard error to `stderrPath`, or to the same file when that is nil.
    init(_ arguments: [String], stdoutPath: String, stderrPath: String?) throws {
        precondition(!arguments.isEmpty)
        self.arguments = arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let create = O_WRONLY | O_CREAT | O_TRUNC
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, create, 0o644)
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, create, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw LabError("posix_spawn_file_actions_addclosefrom_np failed") }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let error = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard error == 0 else {
            throw LabError("cannot start `\(arguments.joined(separator: " "))`: \(String(cString: strerror(error)))")
        }
        self.pid = pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+): closes our descriptors in
    /// the child atomically, where closing a list of them would race with other threads.
    /// Declared only under _GNU_SOURCE, which Swift's Glibc module does not define, hence
    /// looked up at run time.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc 2.34 or later is needed (posix_spawn_file_actions_addclosefrom_np)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// How it ended, or nil while it runs (reaping it if it has just ended).
    var ended: Ending? {
        if ending == nil { reap(options: WNOHANG) }
        return ending
    }

    var isRunning: Bool { ended == nil }

    /// Sends `signal` unless the child has already been reaped (its pid may then be another
    /// process's; until reaped, a zombie keeps the pid ours).
    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Blocks until the child ends.
    func waitBlocking() {
        while ending == nil { reap(options: 0) }
    }

    private func reap(options: Int32) {
        var status: Int32 = 0
        let result = waitpid(pid, &status, options)
        if result == pid {
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
            ending = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        } else if result == -1 && errno != EINTR {
            ending = .exited(-1)  // ECHILD: not ours to wait for any more; nothing else to learn.
        }
    }
}
