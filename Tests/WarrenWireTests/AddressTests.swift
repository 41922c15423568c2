import Testing
import WarrenWire

@Suite("Addresses, prefixes and endpoints")
struct AddressTests {
    @Test("IPv4 text parses strictly", arguments: [
        ("10.8.0.1", true), ("0.0.0.0", true), ("255.255.255.255", true),
        ("256.0.0.1", false), ("10.8.0", false), ("10.8.0.1.2", false), ("010.8.0.1", false),
        ("10.8.0.-1", false), ("", false), ("a.b.c.d", false), (" 10.8.0.1", false),
    ])
    func ipv4(text: String, valid: Bool) {
        #expect((IPv4Address(text) != nil) == valid)
        if valid { #expect(IPv4Address(text)?.description == text) }
    }

    @Test("IPv6 text parses all RFC 4291 forms and prints RFC 5952 form", arguments: [
        ("2001:db8::1", "2001:db8::1"), ("::", "::"), ("::1", "::1"), ("fe80::", "fe80::"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::ffff:10.8.0.1", "::ffff:a08:1"),
        ("fd12:3456:789a::a08:7", "fd12:3456:789a::a08:7"),
    ])
    func ipv6(text: String, canonical: String) {
        #expect(IPv6Address(text)?.description == canonical)
    }

    @Test("malformed IPv6 text is refused", arguments: [
        "2001:db8::1::2", ":::", "12345::", "2001:db8:0:0:0:0:0:0:1", "g::1", "1:2:3:4:5:6:7", "", "::1.2.3",
    ])
    func badIPv6(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test("prefixes mask, contain and refuse bad lengths")
    func prefixes() throws {
        let p = try #require(IPPrefix("10.8.3.7/16"))
        #expect(p.network.description == "10.8.0.0/16")
        #expect(p.contains(IPAddress("10.8.255.1")!))
        #expect(!p.contains(IPAddress("10.9.0.1")!))
        #expect(!p.contains(IPAddress("::1")!))
        #expect(IPPrefix("10.8.0.0/33") == nil)
        #expect(IPPrefix("10.8.0.0/") == nil)
        #expect(IPPrefix("10.8.0.0/1/2") == nil)
        #expect(IPPrefix("fd00::/129") == nil)
        #expect(IPPrefix("fd00::1/48")?.network.description == "fd00::/48")
        #expect(IPPrefix("0.0.0.0/0")!.contains(IPAddress("1.2.3.4")!))
        #expect(IPPrefix("10.8.0.1")?.length == 32)
        #expect(IPPrefix("10.0.0.0/8")!.contains(IPPrefix("10.8.0.0/16")!))
        #expect(!IPPrefix("10.8.0.0/16")!.contains(IPPrefix("10.0.0.0/8")!))
        #expect(IPPrefix("10.8.0.0/16")!.overlaps(IPPrefix("0.0.0.0/0")!) && IPPrefix("0.0.0.0/0")!.overlaps(IPPrefix("10.8.0.0/16")!))
        #expect(IPPrefix("10.8.0.0/16")!.overlaps(IPPrefix("10.8.3.0/24")!))
        #expect(!IPPrefix("10.8.0.0/16")!.overlaps(IPPrefix("10.9.0.0/16")!))
        #expect(!IPPrefix("0.0.0.0/0")!.overlaps(IPPrefix("::/0")!), "families never overlap")
    }

    @Test("endpoints parse with IPv4 or bracketed IPv6 and a port")
    func endpoints() {
        #expect(Endpoint("192.0.2.1:51820")?.description == "192.0.2.1:51820")
        #expect(Endpoint("[2001:db8::1]:51820")?.description == "[2001:db8::1]:51820")
        for bad in ["192.0.2.1", "192.0.2.1:", "192.0.2.1:70000", "2001:db8::1:51820", "[2001:db8::1]51820", "[::1", "host:1"] {
            #expect(Endpoint(bad) == nil, "\(bad)")
        }
    }

    @Test("servers are an address and port, or a host name and port")
    func hostPorts() {
        #expect(HostPort("192.0.2.1:3478")?.endpoint == Endpoint("192.0.2.1:3478"))
        #expect(HostPort("[2001:db8::1]:3478")?.description == "[2001:db8::1]:3478")
        let named = HostPort("Stun-1.Example.net.:3478")
        #expect(named?.host == "stun-1.example.net" && named?.port == 3478 && named?.endpoint == nil)
        #expect(named?.description == "stun-1.example.net:3478")
        #expect(HostPort("localhost:1")?.host == "localhost")
        let long = String(repeating: "a", count: 63)
        #expect(HostPort("\(long).\(long).\(long).\(String(repeating: "b", count: 61)):1") != nil, "253 characters")
        for bad in ["stun.example.net", "stun.example.net:", "stun.example.net:0", "stun.example.net:70000", "192.0.2.1:0",
                    "-stun.example.net:1", "stun-.example.net:1", "stun..example.net:1", "stun_1.example.net:1", ":1",
                    "192.0.2.300:1", "1.2.3:1", "\(String(repeating: "a", count: 64)).net:1", "ex ample.net:1", "exämple.net:1",
                    "\(long).\(long).\(long).\(String(repeating: "b", count: 62)):1"] {
            #expect(HostPort(bad) == nil, "\(bad)")
        }
    }
}
