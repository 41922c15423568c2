/// An IPv4 address, stored as a host-order integer so comparisons and masks are arithmetic.
public struct IPv4Address: Hashable, Sendable, Comparable {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted quad, exactly four decimal parts of 0...255 without leading zeros.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(part.count > 1 && part.first == "0"), let n = UInt32(part), n <= 255 else { return nil }
            v = v << 8 | n
        }
        value = v
    }

    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    public static func < (l: IPv4Address, r: IPv4Address) -> Bool { l.value < r.value }
}

extension IPv4Address: CustomStringConvertible {
    public var description: String { bytes.map(String.init).joined(separator: ".") }
}

/// An IPv6 address as two host-order 64-bit halves.
public struct IPv6Address: Hashable, Sendable, Comparable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// RFC 4291 §2.2 text forms, including `::` compression and a trailing dotted quad.
    public init?(_ text: some StringProtocol) {
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        var seenDoubleColon = false
        let s = String(text)
        guard !s.isEmpty, s.count <= 45 else { return nil }
        let halves = Self.splitOnDoubleColon(s)
        guard halves.count <= 2 else { return nil }
        func parse(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (i, f) in fields.enumerated() {
                if allowV4 && i == fields.count - 1 && f.contains(".") {
                    guard let v4 = IPv4Address(f) else { return nil }
                    out.append(UInt16(v4.value >> 16))
                    out.append(UInt16(truncatingIfNeeded: v4.value))
                } else {
                    guard !f.isEmpty, f.count <= 4, let n = UInt16(f, radix: 16) else { return nil }
                    out.append(n)
                }
            }
            return out
        }
        if halves.count == 2 {
            seenDoubleColon = true
            guard let a = parse(halves[0], allowV4: false), let b = parse(halves[1], allowV4: true) else { return nil }
            groups = a
            tail = b
            guard groups.count + tail.count <= 7 else { return nil }
        } else {
            guard let a = parse(halves[0], allowV4: true) else { return nil }
            groups = a
        }
        if seenDoubleColon {
            groups += [UInt16](repeating: 0, count: 8 - groups.count - tail.count) + tail
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, g) in groups.enumerated() {
            if i < 4 { h = h << 16 | UInt64(g) } else { l = l << 16 | UInt64(g) }
        }
        high = h
        low = l
    }

    private static func splitOnDoubleColon(_ s: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var chars = Array(s)[...]
        while let c = chars.first {
            if c == ":" && chars.dropFirst().first == ":" {
                parts.append(current)
                current = ""
                chars = chars.dropFirst(2)
            } else {
                current.append(c)
                chars = chars.dropFirst()
            }
        }
        parts.append(current)
        return parts
    }

    public var bytes: [UInt8] {
        (0..<16).map { i in
            let word = i < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> (UInt64(7 - i % 8) * 8))
        }
    }

    public static func < (l: IPv6Address, r: IPv6Address) -> Bool {
        (l.high, l.low) < (r.high, r.low)
    }
}

extension IPv6Address: CustomStringConvertible {
    /// RFC 5952 canonical form: lower case, longest run of zero groups (length ≥ 2) as `::`.
    public var description: String {
        let groups = (0..<8).map { i -> UInt16 in
            let word = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (UInt64(3 - i % 4) * 16))
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLen { bestStart = i; bestLen = j - i }
                i = j
            } else { i += 1 }
        }
        let hex = groups.map { String($0, radix: 16) }
        if bestLen < 2 { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLen)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// Either address family, for places that hold both (endpoints, routes).
public enum IPAddress: Hashable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: some StringProtocol) {
        if let a = IPv4Address(text) { self = .v4(a) } else if let a = IPv6Address(text) { self = .v6(a) } else { return nil }
    }

    public var isIPv4: Bool {
        if case .v4 = self { true } else { false }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.bytes
        case .v6(let a): a.bytes
        }
    }

    /// 224.0.0.0/4 or ff00::/8.
    public var isMulticast: Bool {
        switch self {
        case .v4(let a): a.value >> 28 == 0xe
        case .v6(let a): a.high >> 56 == 0xff
        }
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}
