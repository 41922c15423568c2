public import WarrenCrypto
public import WarrenWire

/// How overlay IPv6 addresses follow from the network and the node, so nobody configures them:
/// the network gets a ULA /48 (RFC 4193: fd00::/8 plus 40 bits taken from a hash of the CA
/// key), and a node's address is that /48 with its IPv4 address in the low 32 bits, so
/// `10.8.0.7` is also `fdXX:XXXX:XXXX::a08:7`.
public enum OverlayAddressing {
    public static let ulaPrefixLength: UInt8 = 48

    public static func ulaNetwork(authorityKey: Key32) -> IPPrefix {
        let digest = Blake2b.hash(Array("warren ula".utf8), authorityKey.bytes, outputCount: 5)
        var high: UInt64 = 0xfd
        for b in digest { high = high << 8 | UInt64(b) }
        high <<= 16
        return IPPrefix(address: .v6(IPv6Address(high: high, low: 0)), length: ulaPrefixLength)!
    }

    public static func nodeIPv6(network: IPPrefix, ipv4: IPv4Address) -> IPPrefix {
        guard case .v6(let net) = network.network.address else { preconditionFailure("ULA network must be IPv6") }
        return IPPrefix(address: .v6(IPv6Address(high: net.high, low: UInt64(ipv4.value))), length: network.length)!
    }
}

extension OverlayAddressing {
    /// The IPv4 address a node's IPv6 address carries, if `address` lies in the network's
    /// ULA `network`: how a packet to an unknown IPv6 overlay address is resolved.
    public static func embeddedIPv4(in address: IPAddress, network: IPPrefix) -> IPv4Address? {
        guard case .v6(let v6) = address, network.contains(address) else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: v6.low))
    }
}
