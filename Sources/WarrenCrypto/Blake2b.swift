import CSodium

/// BLAKE2b (RFC 7693) and the HMAC/HKDF constructions Noise builds on it (Noise §4.3:
/// HMAC-BLAKE2b per RFC 2104 with a 128-byte block, HKDF with HASHLEN = 64).
public enum Blake2b {
    public static let blockByteCount = 128
    public static let maxDigestByteCount = 64

    /// BLAKE2b with an `outputCount`-byte digest, optionally keyed (a MAC when keyed).
    public static func hash(_ parts: [UInt8]..., key: [UInt8] = [], outputCount: Int = 64) -> [UInt8] {
        hash(parts: parts, key: key, outputCount: outputCount)
    }

    public static func hash(parts: [[UInt8]], key: [UInt8] = [], outputCount: Int = 64) -> [UInt8] {
        Sodium.ensureReady()
        precondition(outputCount >= 1 && outputCount <= 64 && key.count <= 64)
        // The state struct is 64-byte aligned in C, which Swift cannot import: give libsodium
        // an aligned region of the size it asks for.
        let stateBytes = crypto_generichash_statebytes()
        let region = UnsafeMutableRawPointer.allocate(byteCount: stateBytes, alignment: 64)
        defer {
            secureZero(UnsafeMutableRawBufferPointer(start: region, count: stateBytes))
            region.deallocate()
        }
        let state = OpaquePointer(region)
        _ = crypto_generichash_init(state, key.isEmpty ? nil : key, key.count, outputCount)
        for part in parts {
            _ = crypto_generichash_update(state, part, UInt64(part.count))
        }
        var out = [UInt8](repeating: 0, count: outputCount)
        _ = crypto_generichash_final(state, &out, outputCount)
        return out
    }

    /// Keyed BLAKE2b of `message` into `output` (1 to 64 bytes), without allocating: for the
    /// packet threads, which check handshake MACs before copying anything.
    public static func mac(_ message: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer,
                           into output: UnsafeMutableRawBufferPointer) {
        Sodium.ensureReady()
        precondition(output.count >= 1 && output.count <= 64 && key.count >= 1 && key.count <= 64)
        _ = crypto_generichash(output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count,
                               message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                               key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count)
    }

    /// A 32-byte digest as a `Key32` (node IDs, fingerprints).
    public static func hash32(_ parts: [UInt8]...) -> Key32 {
        Key32(bytes: hash(parts: parts, outputCount: 32))!
    }

    /// HMAC-BLAKE2b-512 (RFC 2104). Keys longer than a block are hashed first.
    public static func hmac(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        var k = key.count > blockByteCount ? hash(key) : key
        k += [UInt8](repeating: 0, count: blockByteCount - k.count)
        var ipad = k.map { $0 ^ 0x36 }
        var opad = k.map { $0 ^ 0x5c }
        let inner = hash(parts: [ipad] + parts)
        let result = hash(opad, inner)
        ipad.withUnsafeMutableBytes { secureZero($0) }
        opad.withUnsafeMutableBytes { secureZero($0) }
        k.withUnsafeMutableBytes { secureZero($0) }
        return result
    }

    /// Noise's HKDF(chaining_key, input_key_material, num_outputs) (Noise §4.3), each output
    /// 64 bytes. Callers truncate to 32 where a cipher key is needed.
    public static func hkdf(chainingKey: [UInt8], input: [UInt8], outputs: Int) -> [[UInt8]] {
        precondition(outputs >= 1 && outputs <= 3)
        var temp = hmac(key: chainingKey, input)
        var result: [[UInt8]] = []
        var previous: [UInt8] = []
        for i in 1...outputs {
            previous = hmac(key: temp, previous, [UInt8(i)])
            result.append(previous)
        }
        temp.withUnsafeMutableBytes { secureZero($0) }
        return result
    }
}
