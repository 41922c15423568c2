import Glibc
import Testing
import WarrenLinux
import WarrenWire

@Suite("SystemError and clocks")
struct SystemErrorTests {
    @Test("an error reads as operation, reason and errno")
    func description() {
        let error = SystemError(operation: "sendmmsg", errno: ENOBUFS)
        #expect(error.description == "sendmmsg: No buffer space available (errno 105)")
    }

    @Test("a hint follows the errno after a dash")
    func hint() {
        let error = SystemError(operation: "cannot connect to /x.sock", errno: ENOENT, hint: "is warren running?")
        #expect(error.description == "cannot connect to /x.sock: No such file or directory (errno 2) — is warren running?")
    }

    @Test("the monotonic clock never goes back and the wall clock is past 2024")
    func clocks() {
        let first = MonotonicClock.now()
        let second = MonotonicClock.now()
        #expect(second >= first)
        #expect(WallClock.nowUnixSeconds() > 1_704_067_200)
    }
}
