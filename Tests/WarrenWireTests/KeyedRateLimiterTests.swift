import Testing
import WarrenWire

@Suite("Keyed rate limiter")
struct KeyedRateLimiterTests {
    @Test("each key has its own bucket; a full table takes a newcomer only once a bucket has refilled")
    func bounded() {
        let start = Instant(nanoseconds: 1_000_000_000)
        var limiter = KeyedRateLimiter<Int>(capacity: 2, perSecond: 1, maxKeys: 2)
        let answers = [(1, start), (1, start), (1, start), (2, start), (3, start),
                       // A second later key 2 has refilled (one token spent), key 1 has not.
                       (3, start + .seconds(1)), (1, start + .seconds(1))].map { limiter.allow($0.0, now: $0.1) }
        #expect(answers == [true, true, false, true, false, true, true])
    }
}
