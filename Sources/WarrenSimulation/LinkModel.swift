import Foundation

/// The simulated underlay between any two nodes: a round-trip time drawn once per node pair
/// from a log-normal distribution (stable for the run, symmetric, computed from a hash of the
/// pair so 100k nodes need no matrix), a little per-packet jitter, and independent loss.
///
/// With the defaults (median 80 ms, σ = 0.65) about 95% of pairs lie between 25 and 235 ms
/// and about 98% between 10 and 300 ms, close to RTTs measured between Internet hosts across
/// continents.
public struct LinkModel: Sendable {
    public var medianRTTMilliseconds: Double = 80
    /// Standard deviation of ln(RTT).
    public var sigma: Double = 0.65
    public var minimumRTTMilliseconds: Double = 2
    public var maximumRTTMilliseconds: Double = 2000
    /// Each packet takes up to this fraction of the link's one-way delay longer (uniform).
    public var jitterFraction: Double = 0.1
    /// Probability that any one message is dropped.
    public var loss: Double = 0
    /// Which pairs are fast and which slow: set from the run's seed by the simulation.
    var salt: UInt64 = 0

    public init() {}

    /// The pair's round-trip time in nanoseconds, the same in both directions for the run.
    public func roundTripNanoseconds(_ a: Int, _ b: Int) -> UInt64 {
        let lo = UInt64(min(a, b)), hi = UInt64(max(a, b))
        let h1 = mix64(salt ^ (lo &* 0x9E37_79B9_7F4A_7C15) ^ (hi << 1))
        let h2 = mix64(h1 ^ 0xD1B5_4A32_D192_ED03)
        // Box–Muller: two uniforms in (0, 1] → one standard normal deviate.
        let u1 = (Double(h1 >> 11) + 1) * 0x1p-53
        let u2 = Double(h2 >> 11) * 0x1p-53
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        let rtt = min(maximumRTTMilliseconds, max(minimumRTTMilliseconds, medianRTTMilliseconds * exp(sigma * z)))
        return UInt64(rtt * 1_000_000)
    }

    /// One message's travel time from `a` to `b`.
    func oneWayNanoseconds(_ a: Int, _ b: Int, random: inout SimulationRandom) -> UInt64 {
        let base = roundTripNanoseconds(a, b) / 2
        return base + UInt64(Double(base) * jitterFraction * random.unit())
    }

    /// Percentiles of the pair RTT distribution, from `samples` random pairs among `nodes`.
    func sampleRoundTrips(nodes: Int, samples: Int, seed: UInt64) -> [Double] {
        var random = SimulationRandom(seed: seed)
        var rtts: [Double] = []
        rtts.reserveCapacity(samples)
        guard nodes > 1 else { return [] }
        while rtts.count < samples {
            let a = random.index(below: nodes), b = random.index(below: nodes)
            guard a != b else { continue }
            rtts.append(Double(roundTripNanoseconds(a, b)) / 1_000_000)
        }
        return rtts.sorted()
    }
}
