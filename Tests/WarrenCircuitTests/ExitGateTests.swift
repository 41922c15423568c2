import Testing
import WarrenCircuit
import WarrenWire

@Suite("Exit gate")
struct ExitGateTests {
    static let lease: ExitLeases.Lease = {
        var leases = ExitLeases(ipv4: IPPrefix("100.96.0.0/16"), ipv6: IPPrefix("fd77::/64"))!
        return leases.attach(1)!
    }()
    let gate = ExitGate(policy: ExitPolicy([], never: [IPPrefix("10.8.0.0/16")!]))

    /// A TCP SYN-sized packet from `source` to `destination`:`port`.
    static func tcp(from source: String, to destination: String, port: UInt16) -> [UInt8] {
        [0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0] + IPv4Address(source)!.bytes + IPv4Address(destination)!.bytes
            + [0x30, 0x39, UInt8(port >> 8), UInt8(port & 0xff)] + [UInt8](repeating: 0, count: 16)
    }

    func judge(_ packet: [UInt8], lease: ExitLeases.Lease = ExitGateTests.lease) -> ExitGate.Decision {
        packet.withUnsafeBytes { gate.judge($0, lease: lease) }
    }

    @Test("a packet from the session's own address that the policy accepts goes on")
    func forward() {
        #expect(judge(Self.tcp(from: "100.96.0.1", to: "203.0.113.5", port: 443)) == .forward)
        var v6: [UInt8] = [0x60, 0, 0, 0, 0, 8, 17, 64] + IPv6Address("fd77::1")!.bytes + IPv6Address("2001:db8::5")!.bytes
        v6 += [0x30, 0x39, 0, 53, 0, 8, 0, 0]
        #expect(judge(v6) == .forward)
    }

    @Test("a packet from any other address is dropped: the sender's own, another session's, or a family it was lent none of")
    func foreignSource() {
        for source in ["10.8.0.7", "100.96.0.2", "0.0.0.0"] {
            #expect(judge(Self.tcp(from: source, to: "203.0.113.5", port: 443)) == .drop(.sourceNotOwned), "\(source)")
        }
        var leases = ExitLeases(ipv4: nil, ipv6: IPPrefix("fd77::/64"))!
        let v6Only = leases.attach(1)!
        #expect(judge(Self.tcp(from: "100.96.0.1", to: "203.0.113.5", port: 443), lease: v6Only) == .drop(.sourceNotOwned))
        #expect(judge([0x45, 0, 0]) == .drop(.malformed))
    }

    @Test("a refused packet is answered with administratively prohibited to the session's address, naming the rule")
    func refuse() throws {
        let smtp = Self.tcp(from: "100.96.0.1", to: "203.0.113.5", port: 25)
        guard case .refuse(let rule?, let answer?) = judge(smtp) else {
            Issue.record("port 25 was not refused with an answer")
            return
        }
        #expect(gate.policy.rules[rule].ports?.contains { $0.contains(25) } == true)
        #expect(answer[20] == 3 && answer[21] == 13 && Array(answer[16..<20]) == [100, 96, 0, 1] && Array(answer[28...]) == Array(smtp.prefix(28)))
        guard case .refuse(let overlay?, _) = judge(Self.tcp(from: "100.96.0.1", to: "10.8.0.3", port: 22)) else {
            Issue.record("the overlay was not refused")
            return
        }
        #expect(overlay == 0)
        // An ICMP error refused gets no error back.
        let error: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 100, 96, 0, 1, 10, 8, 0, 3, 3, 1, 0, 0, 0, 0, 0, 0]
        #expect(judge(error) == .refuse(rule: 0, answer: nil))
    }
}
