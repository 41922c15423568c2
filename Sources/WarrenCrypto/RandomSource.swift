import CSodium

/// Where a protocol core gets randomness: cores take one as an argument instead of reading a
/// global generator, so tests and the simulator can replay a run from a seed.
public protocol RandomSource: Sendable {
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)
    /// An independent stream for a core that keeps its own (a circuit relay, a sender's
    /// pool), drawn from this one, so a seeded run still replays and no two cores share one
    /// sequence.
    mutating func split() -> Self
}

extension RandomSource {
    public mutating func next<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }

    /// Uniform in `0..<bound`, without modulo bias.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let v: UInt64 = next()
            if v < limit { return v % bound }
        }
    }

    /// Puts `array` in a uniformly random order (Fisher–Yates).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, Int(next(below: UInt64(i + 1))))
        }
    }
}

/// libsodium's CSPRNG (getrandom(2) underneath). The daemon's only source of randomness.
public struct SystemRandom: RandomSource, Sendable {
    public init() { Sodium.ensureReady() }

    public mutating func split() -> SystemRandom { SystemRandom() }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }
}

/// A deterministic stream (libsodium's randombytes_buf_deterministic, ChaCha20 keyed by the
/// seed) for tests and simulations that must replay exactly. Never used for real keys.
public struct SeededRandom: RandomSource, Sendable {
    private var seed: Key32
    private var counter: UInt64 = 0

    public init(seed: UInt64) {
        Sodium.ensureReady()
        var s = Key32()
        s.withUnsafeMutableBytes { $0.storeBytes(of: seed.littleEndian, as: UInt64.self) }
        self.seed = s
    }

    public mutating func split() -> SeededRandom {
        var child = self
        child.counter = 0
        child.seed.withUnsafeMutableBytes { fill($0) }
        return child
    }

    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        // Each call derives its block from (seed, counter) so successive calls differ.
        counter &+= 1
        var blockSeed = seed
        let c = counter
        blockSeed.withUnsafeMutableBytes { $0.storeBytes(of: c.littleEndian, toByteOffset: 24, as: UInt64.self) }
        blockSeed.withUnsafeBytes { s in
            randombytes_buf_deterministic(base, buffer.count, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}
