/// A 32-byte public value (public key, hash, node ID) held inline, so it can be copied,
/// hashed and compared without touching the heap.
///
/// Secrets never use this type: see `SecretBytes`.
public struct Key32: Hashable, Sendable, Comparable {
    public static let byteCount = 32
    // Four words keep the value inline and 8-byte aligned; the bytes are read through
    // `withUnsafeBytes`, so the words' endianness never matters.
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    public static let zero = Key32()

    public init() {}

    /// Copies exactly 32 bytes; returns nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Key32.byteCount else { return nil }
        withUnsafeMutableBytes { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
    }

    public init(copying raw: UnsafeRawBufferPointer) {
        precondition(raw.count == Key32.byteCount)
        withUnsafeMutableBytes { $0.copyMemory(from: raw) }
    }

    /// The 32 bytes, valid only inside `body` (they belong to a copy on this call's stack).
    public func withUnsafeBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = self
        return try Swift.withUnsafeBytes(of: &copy) { (raw) throws(E) -> R in try body(raw) }
    }

    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &self) { try body($0) }
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public subscript(index: Int) -> UInt8 {
        withUnsafeBytes { $0[index] }
    }

    /// Lexicographic byte order (used for XOR-distance comparisons and stable sorting).
    public static func < (lhs: Key32, rhs: Key32) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.lexicographicallyPrecedes(r) } }
    }

    /// Constant time, for the places where a public value gates access.
    public func constantTimeEquals(_ other: Key32) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in WarrenCrypto.constantTimeEquals(a, b) } }
    }
}

extension Key32: CustomStringConvertible {
    public var description: String { Encoding.base64(bytes) }
}
