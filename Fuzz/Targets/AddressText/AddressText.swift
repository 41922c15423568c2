// Text parsers of WarrenWire: IPv4Address, IPv6Address, IPAddress, IPPrefix, Endpoint and
// HostPort, as the config file and the CLI feed them.
//
// Invariants (for every parser P that accepts s):
// - P(P(s).description) == P(s): what Warren prints, Warren reads back the same.
// - P(s).description is a fixed point: printing what was read back changes nothing.
// - IPv4 text is accepted only in its canonical form, so the description is s itself.
// - IPv6Address(bytes: a.bytes) == a; a prefix's network contains its address and lies
//   inside the prefix.
import FuzzSupport
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfRequested([
        ("ipv4", Array("10.8.0.1".utf8)),
        ("ipv6", Array("fd12:3456:789a::a08:1".utf8)),
        ("ipv6-dotted", Array("::ffff:192.0.2.1".utf8)),
        ("prefix4", Array("10.8.0.1/16".utf8)),
        ("prefix6", Array("2001:db8::/32".utf8)),
        ("endpoint4", Array("192.0.2.1:51820".utf8)),
        ("endpoint6", Array("[2001:db8::1]:51820".utf8)),
        ("hostport", Array("stun.example.net:3478".utf8)),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = Fuzz.text(data, size)

    if let a = IPv4Address(text) {
        Fuzz.check(a.description == text, "IPv4 \(text.debugDescription) printed as \(a.description)")
        Fuzz.check(IPv4Address(a.description) == a, "IPv4 \(text.debugDescription) does not read back")
    }
    if let a = IPv6Address(text) {
        let printed = a.description
        Fuzz.check(IPv6Address(printed) == a, "IPv6 \(text.debugDescription) printed as \(printed), which reads back differently")
        Fuzz.check(IPv6Address(printed)?.description == printed, "IPv6 \(printed) is not a fixed point")
        Fuzz.check(IPv6Address(bytes: a.bytes) == a, "IPv6 \(printed) bytes do not round-trip")
    }
    if let a = IPAddress(text) {
        Fuzz.check(IPAddress(a.description) == a, "IPAddress \(text.debugDescription) printed as \(a)")
        Fuzz.check(a.bytes.count == (a.isV4 ? 4 : 16), "IPAddress \(a) has \(a.bytes.count) bytes")
    }
    if let p = IPPrefix(text) {
        Fuzz.check(IPPrefix(p.description) == p, "prefix \(text.debugDescription) printed as \(p), which reads back differently")
        Fuzz.check(IPPrefix(p.description)?.description == p.description, "prefix \(p) is not a fixed point")
        let network = p.network
        Fuzz.check(network.length == p.length && network.contains(p.address) && p.contains(network),
                   "prefix \(p) and its network \(network) disagree")
        Fuzz.check(network.network == network, "network of \(network) is not idempotent")
    }
    if let e = Endpoint(text) {
        Fuzz.check(Endpoint(e.description) == e, "endpoint \(text.debugDescription) printed as \(e), which reads back differently")
        Fuzz.check(Endpoint(e.description)?.description == e.description, "endpoint \(e) is not a fixed point")
    }
    if let h = HostPort(text) {
        Fuzz.check(HostPort(h.description) == h, "server \(text.debugDescription) printed as \(h), which reads back differently")
        Fuzz.check((h.endpoint == nil) == (Endpoint(text) == nil), "server \(text.debugDescription): literal or name disagrees with Endpoint")
        Fuzz.check(h.port != 0 && (h.endpoint != nil || h.host.utf8.count <= 253), "server \(h) has port 0 or an overlong name")
    }
    return 0
}

extension IPAddress {
    var isV4: Bool { if case .v4 = self { true } else { false } }
}
