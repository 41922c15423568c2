import Testing
import WarrenCircuit
import WarrenWire

@Suite("Exit policy")
struct ExitPolicyTests {
    static let tcp = IPPacket.Transport.tcp, udp = IPPacket.Transport.udp

    func address(_ text: String) -> IPAddress { IPAddress(text)! }
    func rules(_ lines: String...) throws -> [ExitPolicyRule] { try lines.map { line throws(ExitPolicyError) in try ExitPolicyRule(parsing: line) } }
    func verdict(_ policy: ExitPolicy, _ destination: String, _ proto: UInt8, _ port: UInt16? = nil) -> ExitPolicy.Verdict {
        policy.verdict(address(destination), .init(proto: proto, destinationPort: port))
    }

    @Test("rules read back as they are written", arguments: [
        "accept *", "reject * port 25", "accept tcp 198.51.100.0/24 port 80,443,8000-8100", "reject udp 2001:db8::/32 port 53",
        "accept icmp *", "reject 203.0.113.7", "reject 2001:db8::1",
    ])
    func roundTrip(text: String) throws {
        #expect(try ExitPolicyRule(parsing: text).description == text)
    }

    @Test("a rule that cannot be read says which part is wrong", arguments: [
        ("allow *", "starts with accept or reject"), ("accept", "no destination"), ("accept tcp", "no destination"),
        ("accept 10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"), ("accept 300.1.1.1", "not *, an address or a prefix"),
        ("accept icmp * port 7", "ICMP has no ports"), ("accept * port 0", "0 is not a port"), ("accept * port 10-5", "10-5 is not a port"),
        ("accept * port 80,", " is not a port"), ("accept * port", "only port N"), ("accept * ports 80", "only port N"),
        ("accept * port 80 now", "unexpected now"),
    ])
    func refusals(text: String, problem: String) {
        #expect {
            _ = try ExitPolicyRule(parsing: text)
        } throws: { error in
            guard let error = error as? ExitPolicyError else { return false }
            return error.rule == text && error.problem.contains(problem)
        }
    }

    @Test("the default preset: the internet, but not the abused ports, nor any destination off the public internet")
    func defaultPreset() {
        let policy = ExitPolicy([], never: [])
        #expect(verdict(policy, "203.0.113.5", Self.tcp, 443) == .accept)
        #expect(verdict(policy, "2001:db8::5", Self.udp, 443) == .accept)
        #expect(verdict(policy, "203.0.113.5", IPPacket.Transport.icmp) == .accept)
        let ports = policy.rules.count - 1
        for port: UInt16 in [25, 119, 135, 139, 445, 563, 1214, 4661, 6346, 6429, 6699, 6881, 6999] {
            for proto in IPPacket.Transport.withPorts { #expect(verdict(policy, "203.0.113.5", proto, port) == .reject(rule: ports)) }
        }
        for destination in ["10.1.2.3", "172.31.255.255", "192.168.0.1", "127.0.0.1", "169.254.1.1", "100.64.0.1", "100.127.255.255",
                            "224.0.0.251", "255.255.255.255", "0.0.0.0", "::1", "::", "fe80::1", "fd12::1", "ff02::1", "::ffff:10.0.0.1",
                            "::ffff:203.0.113.5", "64:ff9b::a00:1"] {
            guard case .reject(let rule?) = verdict(policy, destination, Self.tcp, 443) else {
                Issue.record("\(destination) was not rejected by a rule")
                continue
            }
            #expect(policy.rules[rule].destination?.contains(address(destination)) == true)
        }
        #expect(verdict(policy, "100.128.0.1", Self.tcp, 443) == .accept)
        #expect(verdict(policy, "172.32.0.1", Self.tcp, 443) == .accept)
    }

    @Test("the reduced preset: ping and the listed ports, TCP and UDP, nothing else")
    func reducedPreset() {
        let policy = ExitPolicy([], preset: .reduced, never: [])
        for port: UInt16 in [22, 53, 80, 443, 993, 5222, 8443, 64738] { #expect(verdict(policy, "203.0.113.5", Self.tcp, port) == .accept) }
        #expect(verdict(policy, "203.0.113.5", Self.udp, 53) == .accept)
        #expect(verdict(policy, "203.0.113.5", IPPacket.Transport.icmp) == .accept)
        #expect(verdict(policy, "2001:db8::5", IPPacket.Transport.icmpv6) == .accept)
        // ICMPv6's number over IPv4 is not ICMP.
        #expect(verdict(policy, "203.0.113.5", IPPacket.Transport.icmpv6) == .reject(rule: nil))
        for port: UInt16 in [25, 24, 8081, 6881, 65535] { #expect(verdict(policy, "203.0.113.5", Self.tcp, port) == .reject(rule: nil)) }
        #expect(verdict(policy, "203.0.113.5", 47) == .reject(rule: nil))
        // A later fragment shows no port: a policy of ports cannot let it out.
        #expect(verdict(policy, "203.0.113.5", Self.tcp, nil) == .reject(rule: nil))
    }

    @Test("first match wins; a catch-all ends the policy, else the preset follows the operator's rules")
    func firstMatch() throws {
        let open = ExitPolicy(try rules("accept tcp 192.0.2.0/24 port 25", "reject 198.51.100.0/24", "accept *", "reject *"), never: [])
        #expect(verdict(open, "192.0.2.9", Self.tcp, 25) == .accept)
        #expect(verdict(open, "198.51.100.9", Self.tcp, 443) == .reject(rule: open.rules.count - 1))
        // The catch-all: the default preset's port 25 rule is not there.
        #expect(verdict(open, "203.0.113.5", Self.tcp, 25) == .accept)
        #expect(open.otherwise == .accept && open.rules.count == ExitPolicy.nonPublic.count + 2)

        let web = ExitPolicy(try rules("accept tcp * port 80,443", "reject *"), never: [])
        #expect(verdict(web, "203.0.113.5", Self.tcp, 443) == .accept)
        #expect(verdict(web, "203.0.113.5", Self.udp, 443) == .reject(rule: nil))

        let augmented = ExitPolicy(try rules("reject 198.51.100.0/24"), never: [])
        #expect(verdict(augmented, "198.51.100.9", Self.tcp, 443) == .reject(rule: ExitPolicy.nonPublic.count))
        #expect(verdict(augmented, "203.0.113.5", Self.tcp, 443) == .accept)
        #expect(verdict(augmented, "203.0.113.5", Self.tcp, 25) == .reject(rule: augmented.rules.count - 1))
    }

    @Test("the overlay and the exit's own addresses are refused whatever the operator writes; the rest of private space only by default")
    func never() throws {
        let overlay = [IPPrefix("10.8.0.0/16")!, IPPrefix("fd00:8::/64")!, IPPrefix("203.0.113.77/32")!]
        let permissive = ExitPolicy(try rules("accept *"), rejectNonPublic: false, never: overlay)
        #expect(verdict(permissive, "10.8.3.4", Self.tcp, 22) == .reject(rule: 0))
        #expect(verdict(permissive, "fd00:8::3", Self.tcp, 22) == .reject(rule: 1))
        #expect(verdict(permissive, "203.0.113.77", Self.tcp, 80) == .reject(rule: 2))
        #expect(verdict(permissive, "10.9.0.1", Self.tcp, 22) == .accept)
        #expect(verdict(permissive, "192.168.1.1", Self.tcp, 22) == .accept)
    }

    @Test("packets: the verdict reads the destination and transport from the header, and refuses what it cannot read")
    func packets() {
        let policy = ExitPolicy([], never: [])
        let smtp: [UInt8] = [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 203, 0, 113, 9, 0x30, 0x39, 0, 25]
            + [UInt8](repeating: 0, count: 16)
        #expect(smtp.withUnsafeBytes { policy.verdict(for: $0) } == .reject(rule: policy.rules.count - 1))
        var https = smtp
        https[22] = 0x01; https[23] = 0xbb
        #expect(https.withUnsafeBytes { policy.verdict(for: $0) } == .accept)
        #expect(Array(smtp.prefix(22)).withUnsafeBytes { policy.verdict(for: $0) } == .unreadable)
        #expect([UInt8]().withUnsafeBytes { policy.verdict(for: $0) } == .unreadable)
    }
}
