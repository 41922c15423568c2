import Testing
import WarrenWire

@Suite("Endpoint policy")
struct EndpointPolicyTests {
    let policy = EndpointPolicy(overlay: [IPPrefix("10.8.0.0/16")!, IPPrefix("fd5b:1c2d:3e4f::/48")!])

    @Test("addresses that reach this host, its link only, a group, or the overlay are refused", arguments: [
        ("0.0.0.0:51820", EndpointPolicy.Refusal.unspecified), ("0.1.2.3:51820", .unspecified), ("[::]:51820", .unspecified),
        ("127.0.0.1:22", .loopback), ("127.255.0.9:51820", .loopback), ("[::1]:51820", .loopback),
        ("[::ffff:127.0.0.1]:22", .loopback), ("[::ffff:0.0.0.0]:22", .unspecified),
        ("169.254.1.1:51820", .linkLocal), ("[fe80::1]:51820", .linkLocal), ("[febf::1]:51820", .linkLocal),
        ("224.0.0.1:51820", .multicast), ("239.255.77.77:51820", .multicast), ("[ff02::1]:51820", .multicast),
        ("[::ffff:239.255.77.77]:51820", .multicast), ("255.255.255.255:51820", .broadcast),
        ("10.8.0.7:51820", .overlay(IPPrefix("10.8.0.0/16")!)), ("[::ffff:10.8.3.4]:51820", .overlay(IPPrefix("10.8.0.0/16")!)),
        ("[fd5b:1c2d:3e4f::a08:7]:51820", .overlay(IPPrefix("fd5b:1c2d:3e4f::/48")!)),
        ("192.0.2.1:0", .portZero),
    ])
    func refused(text: String, reason: EndpointPolicy.Refusal) {
        let endpoint = Endpoint(text)!
        #expect(throws: reason) { try policy.check(endpoint) }
        #expect(!policy.admits(endpoint))
        #expect(!reason.description.isEmpty)
    }

    @Test("public, private LAN, unique local and shared-address endpoints are admitted", arguments: [
        "192.0.2.1:51820", "192.168.77.2:51820", "10.9.0.1:51820", "172.20.1.2:40001", "100.64.0.1:51820",
        "[2001:db8::1]:51820", "[fd77::b]:51820", "[fec0::1]:1", "[::ffff:192.0.2.1]:51820", "223.255.255.255:1",
    ])
    func admitted(text: String) throws {
        try policy.check(Endpoint(text)!)
    }

    @Test("filtering keeps the admitted endpoints in their order")
    func filtering() {
        let list = ["127.0.0.1:1", "192.0.2.1:2", "10.8.0.1:3", "[2001:db8::1]:4", "[fe80::1]:5"].map { Endpoint($0)! }
        #expect(policy.admitted(list) == [Endpoint("192.0.2.1:2")!, Endpoint("[2001:db8::1]:4")!])
    }
}
