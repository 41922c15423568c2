import Glibc
import Testing
import WarrenLinux

@Suite("poller, eventfd and signalfd")
struct PollerTests {
    @Test("an eventfd signalled from another thread wakes the poller with its token")
    func eventFDWakes() throws {
        let poller = try Poller()
        let wake = try EventFD()
        try poller.add(wake.fileDescriptor, token: 42)
        let signaller = Background {
            usleep(50_000)
            try wake.signal()
            try wake.signal()
        }
        #expect(try poller.wait(timeoutMilliseconds: 5000) == 1)
        #expect(poller.token(at: 0) == 42)
        #expect(poller.events(at: 0).contains(.readable))
        try signaller.join()
        #expect(try wake.drain() == 2)
        #expect(try wake.drain() == 0)
        #expect(try poller.wait(timeoutMilliseconds: 0) == 0)
    }

    @Test("a wait with nothing ready returns no events after its timeout")
    func timeout() throws {
        let poller = try Poller()
        let start = MonotonicClock.now()
        #expect(try poller.wait(timeoutMilliseconds: 20) == 0)
        #expect(MonotonicClock.now().since(start) >= .milliseconds(15))
    }

    @Test("a blocked signal is read from the signalfd instead of being delivered")
    func signalFD() throws {
        // SIGUSR2 at this thread only, so no other thread of the test runner sees it.
        var previous = sigset_t()
        pthread_sigmask(SIG_SETMASK, nil, &previous)
        let signals = try SignalFD(signals: [ProcessSignal(rawValue: SIGUSR2)])
        defer {
            // Consume anything still pending before the mask is restored.
            while (try? signals.next()) ?? nil != nil {}
            signals.close()
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        #expect(try signals.next() == nil)
        #expect(pthread_kill(pthread_self(), SIGUSR2) == 0)
        #expect(try signals.next() == ProcessSignal(rawValue: SIGUSR2))
        #expect(ProcessSignal.terminate.description == "SIGTERM")
    }
}
