import CSodium

/// Where a protocol core gets randomness: cores take one as an argument instead of reading a
/// global generator, so tests and the simulator can replay a run from a seed.
public protocol RandomSource {
    mutating func fill(_ buffer: UnsafeMutableRawBufferPointer)
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
}

/// libsodium's CSPRNG (getrandom(2) underneath). The daemon's only source of randomness.
public struct SystemRandom: RandomSource, Sendable {
    public init() { Sodium.ensureReady() }

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
