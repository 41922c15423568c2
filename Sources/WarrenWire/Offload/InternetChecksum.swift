/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
/// 16-bit words. Summed in the machine's byte order, eight bytes at a time, which RFC 1071
/// §2(B) shows gives the same result once stored back in that order; so no byte swapping.
public enum InternetChecksum {
    /// Adds `bytes` to a running sum (not yet folded).
    @inline(__always)
    public static func add(_ bytes: UnsafeRawBufferPointer, to sum: UInt64 = 0) -> UInt64 {
        var acc = sum
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            acc = acc &+ (w & 0xffff_ffff) &+ (w >> 32)
            i += 8
        }
        while i + 2 <= n {
            acc = acc &+ UInt64(bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < n {
            // A trailing odd byte is the high-order byte of a zero-padded big-endian word.
            var pad: UInt16 = 0
            withUnsafeMutableBytes(of: &pad) { $0[0] = bytes[i] }
            acc = acc &+ UInt64(pad)
        }
        return acc
    }

    /// Adds a 16-bit value given in network order meaning (protocol numbers, lengths).
    @inline(__always)
    public static func add(word: UInt16, to sum: UInt64) -> UInt64 {
        sum &+ UInt64(word.bigEndian)
    }

    /// Folds a sum to 16 bits and complements it: the value to store in a checksum field,
    /// in memory order (store it with `storeBytes`, not converted).
    @inline(__always)
    public static func finish(_ sum: UInt64) -> UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xffff) &+ (s >> 16) }
        return ~UInt16(truncatingIfNeeded: s)
    }

    /// True when a region that includes its checksum field sums to all ones.
    public static func verifies(_ bytes: UnsafeRawBufferPointer, pseudoHeaderSum: UInt64 = 0) -> Bool {
        finish(add(bytes, to: pseudoHeaderSum)) == 0
    }

    /// The TCP/UDP pseudo-header sum (RFC 793 §3.1, RFC 8200 §8.1) for a transport segment of
    /// `length` bytes in the IP packet `packet`.
    @inline(__always)
    public static func pseudoHeaderSum(_ packet: UnsafeRawBufferPointer, protocol proto: UInt8, length: Int) -> UInt64 {
        let isV4 = packet[0] >> 4 == 4
        let addresses = isV4
            ? UnsafeRawBufferPointer(rebasing: packet[12..<20])
            : UnsafeRawBufferPointer(rebasing: packet[8..<40])
        var sum = add(addresses)
        sum = add(word: UInt16(proto), to: sum)
        if isV4 {
            sum = add(word: UInt16(truncatingIfNeeded: length), to: sum)
        } else {
            sum = add(word: UInt16(truncatingIfNeeded: length >> 16), to: sum)
            sum = add(word: UInt16(truncatingIfNeeded: length), to: sum)
        }
        return sum
    }
}
