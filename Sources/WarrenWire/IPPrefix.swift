/// An address with a prefix length, as in `10.8.0.1/16`: the node's own address inside the
/// overlay network's prefix. `network` masks off the host bits; `contains` tests membership.
public struct IPPrefix: Hashable, Sendable {
    public let address: IPAddress
    public let length: UInt8

    public init?(address: IPAddress, length: UInt8) {
        switch address {
        case .v4: guard length <= 32 else { return nil }
        case .v6: guard length <= 128 else { return nil }
        }
        self.address = address
        self.length = length
    }

    /// `ADDRESS/LENGTH`; a bare address means a single host (/32 or /128).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addr = IPAddress(parts[0]) else { return nil }
        var len: UInt8
        switch addr {
        case .v4: len = 32
        case .v6: len = 128
        }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), parts[1].count <= 3,
                  let n = UInt8(parts[1]) else { return nil }
            len = n
        }
        self.init(address: addr, length: len)
    }

    /// The prefix of `address` alone (/32 or /128).
    public init(host address: IPAddress) {
        self.address = address
        length = address.isIPv4 ? 32 : 128
    }

    /// Whether this prefix is a single address.
    public var isHost: Bool { length == (address.isIPv4 ? 32 : 128) }

    /// The prefix with host bits cleared (`10.8.0.0/16`).
    public var network: IPPrefix {
        switch address {
        case .v4(let a):
            return IPPrefix(address: .v4(IPv4Address(a.value & Self.mask32(length))), length: length)!
        case .v6(let a):
            let (mh, ml) = Self.mask128(length)
            return IPPrefix(address: .v6(IPv6Address(high: a.high & mh, low: a.low & ml)), length: length)!
        }
    }

    public func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case (.v4(let a), .v4(let b)):
            let m = Self.mask32(length)
            return a.value & m == b.value & m
        case (.v6(let a), .v6(let b)):
            let (mh, ml) = Self.mask128(length)
            return a.high & mh == b.high & mh && a.low & ml == b.low & ml
        default:
            return false
        }
    }

    /// True when every address of `other` is inside this prefix.
    public func contains(_ other: IPPrefix) -> Bool {
        other.length >= length && contains(other.address)
    }

    /// True when the two prefixes share an address; prefixes nest or are disjoint, so one
    /// then contains the other.
    public func overlaps(_ other: IPPrefix) -> Bool {
        contains(other) || other.contains(self)
    }

    static func mask32(_ length: UInt8) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
    }

    static func mask128(_ length: UInt8) -> (UInt64, UInt64) {
        if length == 0 { return (0, 0) }
        if length <= 64 { return (UInt64.max << (64 - UInt64(length)), 0) }
        return (UInt64.max, length == 128 ? UInt64.max : UInt64.max << (128 - UInt64(length)))
    }
}

extension IPPrefix: CustomStringConvertible {
    public var description: String { "\(address)/\(length)" }
}
