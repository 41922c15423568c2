public import WarrenCrypto

/// The simulator's random stream: xoshiro256** seeded through splitmix64. Fast enough to
/// draw per message (loss, jitter) at 100k nodes, and a pure function of the seed, so a run
/// replays exactly. Never used for anything but simulated keys and events.
public struct SimulationRandom: RandomSource, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        s0 = splitMix64(&x)
        s1 = splitMix64(&x)
        s2 = splitMix64(&x)
        s3 = splitMix64(&x)
    }

    public mutating func nextWord() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let word = nextWord()
            withUnsafeBytes(of: word) { w in
                for i in 0..<min(8, buffer.count - offset) { buffer[offset + i] = w[i] }
            }
            offset += 8
        }
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double {
        Double(nextWord() >> 11) * 0x1p-53
    }

    /// Uniform in `0..<bound`.
    public mutating func index(below bound: Int) -> Int {
        Int(next(below: UInt64(bound)))
    }

    /// An independent stream for one concern (keys, workload, network), so adding draws to
    /// one concern does not shift the others.
    public mutating func split() -> SimulationRandom {
        SimulationRandom(seed: nextWord())
    }
}

/// splitmix64 (Steele, Lea, Flood 2014): seeds xoshiro and hashes link identities.
func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return mix64(state)
}

/// The splitmix64 finaliser: a bijective 64-bit hash.
func mix64(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
