import CSodium

/// Text encodings for keys and certificates, done by libsodium so no Foundation is needed.
public enum Encoding {
    /// Standard base64 with padding, as `wg genkey` prints keys.
    public static func base64(_ bytes: some Collection<UInt8>) -> String {
        Sodium.ensureReady()
        let input = Array(bytes)
        let variant = Int32(sodium_base64_VARIANT_ORIGINAL)
        let length = sodium_base64_encoded_len(input.count, variant)
        var out = [CChar](repeating: 0, count: length)
        input.withUnsafeBufferPointer { src in
            _ = sodium_bin2base64(&out, length, src.baseAddress, src.count, variant)
        }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes standard base64; returns nil on any invalid character, padding or trailing text.
    public static func fromBase64(_ text: String) -> [UInt8]? {
        Sodium.ensureReady()
        let chars = Array(text.utf8)
        if chars.isEmpty { return [] }
        // libsodium 1.0.18 reads any byte >= 0x80 as '/', which would let non-ASCII text
        // decode; base64 is ASCII, so refuse it here.
        guard chars.allSatisfy({ $0 < 0x80 }) else { return nil }
        var out = [UInt8](repeating: 0, count: chars.count * 3 / 4 + 3)
        var written = 0
        let ok = chars.withUnsafeBufferPointer { src in
            src.withMemoryRebound(to: CChar.self) { cs -> Bool in
                var end: UnsafePointer<CChar>? = nil
                let rc = sodium_base642bin(&out, out.count, cs.baseAddress, cs.count, nil, &written, &end,
                                           Int32(sodium_base64_VARIANT_ORIGINAL))
                // sodium stops at the first invalid character; anything left over is an error.
                return rc == 0 && end == cs.baseAddress! + cs.count
            }
        }
        return ok ? Array(out.prefix(written)) : nil
    }

    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func fromHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
