import CAllocationCounter
import Testing
@testable import WarrenSession

@Suite("Replay window")
struct ReplayWindowTests {
    @Test("each counter is accepted once")
    func once() {
        var w = ReplayWindow()
        do { let ok = w.accept(0); #expect(ok) }
        do { let ok = w.accept(0); #expect(!ok) }
        do { let ok = w.accept(1); #expect(ok) }
        do { let ok = w.accept(1); #expect(!ok) }
    }

    @Test("out-of-order counters inside the window are accepted once")
    func reordering() {
        var w = ReplayWindow()
        do { let ok = w.accept(100); #expect(ok) }
        do { let ok = w.accept(50); #expect(ok) }
        do { let ok = w.accept(99); #expect(ok) }
        do { let ok = w.accept(50); #expect(!ok) }
    }

    @Test("a counter exactly at the window's edge is accepted, one beyond is not")
    func edge() {
        var w = ReplayWindow()
        let top = ReplayWindow.windowSize + 10
        do { let ok = w.accept(top); #expect(ok) }
        do { let ok = w.accept(top - ReplayWindow.windowSize); #expect(ok) }
        do { let ok = w.accept(top - ReplayWindow.windowSize - 1); #expect(!ok) }
        do { let ok = w.mayAccept(top - ReplayWindow.windowSize - 1); #expect(!ok) }
        do { let ok = w.mayAccept(top - ReplayWindow.windowSize); #expect(ok) }
    }

    @Test("the window is at least 2048 packets wide")
    func width() {
        #expect(ReplayWindow.windowSize >= 2048)
    }

    @Test("a jump far ahead clears old bits so reused ring slots are not mistaken for replays")
    func jump() {
        var w = ReplayWindow()
        for c in UInt64(0)..<200 { let ok = w.accept(c); #expect(ok) }
        let far = UInt64(1_000_000)
        do { let ok = w.accept(far); #expect(ok) }
        // Same ring slots as 0..<200 modulo the ring size, but new counters.
        for c in (far - 150)..<far { let ok = w.accept(c); #expect(ok) }
        do { let ok = w.accept(far - 150); #expect(!ok) }
        do { let ok = w.accept(5); #expect(!ok) }
    }

    @Test("sliding forward one at a time never rejects a fresh counter")
    func sliding() {
        var w = ReplayWindow()
        for c in UInt64(0)..<20_000 { let ok = w.accept(c); #expect(ok) }
        do { let ok = w.accept(19_999); #expect(!ok) }
    }

    @Test("counters seen before the ring exists stay seen after")
    func growing() {
        var w = ReplayWindow()
        for c: UInt64 in [3, 10, 63] { let ok = w.accept(c); #expect(ok) }
        do { let ok = w.accept(100); #expect(ok) }
        for c: UInt64 in [3, 10, 63] { let ok = w.accept(c); #expect(!ok) }
        do { let ok = w.accept(11); #expect(ok) }
    }

    @Test("a keypair that never sees 64 counters allocates no ring")
    func smallWindowAllocatesNothing() {
        let before = allocation_counter_thread_count()
        var w = ReplayWindow()
        var accepted = 0
        var c: UInt64 = 0
        // A while loop: a `for` over a range allocates in debug builds.
        while c < 64 {
            if w.accept(c) { accepted += 1 }
            c += 1
        }
        let allocations = allocation_counter_thread_count() - before
        #expect(accepted == 64)
        #expect(allocations == 0)
    }
}
