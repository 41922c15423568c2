import CZlib

extension STUNMessage {
    /// FINGERPRINT's value (RFC 8489 §14.7): the CRC-32 of everything before it, with the
    /// length field already counting it, XORed with 0x5354554E ("STUN").
    static func fingerprint(of prefix: UnsafeRawBufferPointer) -> UInt32 {
        let crc = crc32(0, prefix.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(prefix.count))
        return UInt32(truncatingIfNeeded: crc) ^ 0x5354_554E
    }
}
