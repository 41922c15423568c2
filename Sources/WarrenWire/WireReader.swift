/// A bounds-checked cursor over received bytes, valid while the bytes it reads are. Every read either returns the value or throws
/// `WireError.truncated`; `finish()` rejects trailing bytes, so a decoder that ends with it
/// accepts exactly one message and nothing more.
public struct WireReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remaining: Int { bytes.count - offset }

    @inline(__always)
    private mutating func take(_ count: Int) throws(WireError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw .truncated(needed: count, available: max(remaining, 0)) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    public mutating func readUInt8() throws(WireError) -> UInt8 {
        try take(1)[0]
    }

    public mutating func readUInt16() throws(WireError) -> UInt16 {
        UInt16(bigEndian: try take(2).loadUnaligned(as: UInt16.self))
    }

    public mutating func readUInt32() throws(WireError) -> UInt32 {
        UInt32(bigEndian: try take(4).loadUnaligned(as: UInt32.self))
    }

    public mutating func readUInt64() throws(WireError) -> UInt64 {
        UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self))
    }

    /// Little-endian fields exist where a format fixes them (WireGuard-style indices/counters).
    public mutating func readUInt32LE() throws(WireError) -> UInt32 {
        UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self))
    }

    public mutating func readUInt64LE() throws(WireError) -> UInt64 {
        UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self))
    }

    public mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
        Array(try take(count))
    }

    public mutating func readSlice(_ count: Int) throws(WireError) -> UnsafeRawBufferPointer {
        try take(count)
    }

    /// A byte string preceded by a one-byte length, at most `maxCount` long.
    public mutating func readShortBytes(maxCount: Int = 255) throws(WireError) -> [UInt8] {
        let n = Int(try readUInt8())
        guard n <= maxCount else { throw .invalidField("length \(n) over \(maxCount)") }
        return try readBytes(n)
    }

    /// A byte string preceded by a two-byte length, at most `maxCount` long.
    public mutating func readLongBytes(maxCount: Int) throws(WireError) -> [UInt8] {
        let n = Int(try readUInt16())
        guard n <= maxCount else { throw .invalidField("length \(n) over \(maxCount)") }
        return try readBytes(n)
    }

    public mutating func readRest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
    }

    public func finish() throws(WireError) {
        if remaining != 0 { throw .trailingBytes(remaining) }
    }
}

extension WireReader {
    /// Decodes a whole byte array with `body`, rejecting trailing bytes.
    public static func decode<T>(_ bytes: [UInt8], _ body: (inout WireReader) throws(WireError) -> T) throws(WireError) -> T {
        // Array.withUnsafeBytes only rethrows untyped errors, so carry the result out.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) -> T in
                var reader = WireReader(raw)
                let value = try body(&reader)
                try reader.finish()
                return value
            }
        }
        return try result.get()
    }
}
