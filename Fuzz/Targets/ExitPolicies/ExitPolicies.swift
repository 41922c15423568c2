// What an exit reads before letting a packet out: its operator's policy rules (config text)
// and, for every packet a circuit brings, the destination and transport header that the
// policy judges (IPPacket.transport, ExitPolicy.verdict). Input: a first byte, even for a
// rule's text in the rest, odd for a packet.
//
// Invariants:
// - A rule that reads prints as text that reads back as the same rule, and a refusal names
//   the text it refused.
// - A packet's transport has a port only for a protocol with ports (TCP, UDP, UDP-Lite, SCTP,
//   DCCP), and over IPv4 its protocol is
//   the header's.
// - Neither preset lets out a packet to the overlay or to an address off the public internet
//   (ExitPolicy.nonPublic), nor one whose headers cannot be read.
import FuzzSupport
import WarrenCircuit
import WarrenWire

let overlay = IPPrefix("10.8.0.0/16")!
let policies = ExitPolicy.Preset.allCases.map { ExitPolicy([], preset: $0, never: [overlay]) }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let tcp: [UInt8] = [0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 8, 0, 1, 203, 0, 113, 9, 0x30, 0x39, 0, 25]
        + [UInt8](repeating: 0, count: 16)
    let fragmentedUDP: [UInt8] = [0x60, 0, 0, 0, 0, 24, 0, 64] + IPv6Address("fd00::1")!.bytes + IPv6Address("2001:db8::9")!.bytes
        + [44, 0, 0, 0, 0, 0, 0, 0] + [17, 0, 0, 1, 0, 0, 0, 7] + [0x30, 0x39, 0, 53, 0, 8, 0, 0]
    Fuzz.writeSeedsIfRequested([
        ("rule-ports", [0] + Array("accept tcp 198.51.100.0/24 port 80,443,8000-8100".utf8)),
        ("rule-ipv6", [0] + Array("reject udp 2001:db8::/32 port 53".utf8)),
        ("rule-icmp", [0] + Array("accept icmp *".utf8)),
        ("packet-tcp", [1] + tcp),
        ("packet-ipv6-fragment", [1] + fragmentedUDP),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    guard data[0] & 1 == 1 else {
        let text = Fuzz.text(data + 1, size - 1)
        do {
            let rule = try ExitPolicyRule(parsing: text)
            let again = try? ExitPolicyRule(parsing: rule.description)
            Fuzz.check(again == rule, "\(text.debugDescription) printed as \(rule.description.debugDescription), read back as \(String(describing: again))")
        } catch {
            Fuzz.check(error.rule == text && !error.problem.isEmpty, "refusal \(error) of \(text.debugDescription)")
        }
        return 0
    }
    // Exactly as long as the packet: AddressSanitizer reports any read past its end.
    let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: size - 1, alignment: 1)
    defer { packet.deallocate() }
    packet.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    let p = UnsafeRawBufferPointer(packet)
    let transport = IPPacket.transport(p)
    if let transport, transport.destinationPort != nil {
        Fuzz.check(IPPacket.Transport.withPorts.contains(transport.proto),
                   "a port for protocol \(transport.proto)")
    }
    if let transport, IPPacket.version(p) == 4 {
        Fuzz.check(transport.proto == p[9], "IPv4 protocol \(p[9]) read as \(transport.proto)")
    }
    let destination = IPPacket.destination(p)
    for policy in policies {
        let verdict = policy.verdict(for: p)
        guard verdict == .accept else { continue }
        Fuzz.check(transport != nil, "a packet without a readable transport was let out")
        if let destination {
            Fuzz.check(!overlay.contains(destination) && !ExitPolicy.nonPublic.contains { $0.contains(destination) },
                       "a packet to \(destination) was let out")
        }
    }
    return 0
}
