// IPv4Flow(of:) and write(into:), and AnonymousNAT: how a circuit's sender and last hop read
// and rewrite the packets they carry, on packets of any shape.
//
// The input buffer is the packet. Invariants:
// - A flow is read only from an unfragmented IPv4 TCP, UDP or ICMP echo packet whose header
//   fits its total length; writing the same flow back keeps it, and leaves the header
//   checksum and the transport checksum (TCP, ICMP, UDP unless it was zero) right.
// - A packet the last hop translates leaves from its address and a port of
//   `AnonymousNAT.ports`; the destination's answer maps back to the same token, to
//   0.0.0.0 and the sender's own port, and a second answer from another host maps nowhere.
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenWire

let own = IPv4Address(10, 8, 0, 3)
let token: UInt128 = 0x5eed
let now = Instant(nanoseconds: 1_000_000_000)

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let header: (UInt8, Int) -> [UInt8] = { proto, total in
        [0x45, 0, 0, UInt8(total), 0, 0, 0x40, 0, 64, proto, 0, 0, 0, 0, 0, 0, 10, 8, 0, 40]
    }
    Fuzz.writeSeedsIfRequested([
        ("udp", header(17, 32) + [0x13, 0x88, 0, 53, 0, 12, 0xff, 0xff, 1, 2, 3, 4]),
        ("tcp", header(6, 40) + [0x13, 0x88, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]),
        ("echo", header(1, 28) + [8, 0, 0, 0, 0x12, 0x34, 0, 1]),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let packet = Fuzz.bytes(data, size)
    guard let flow = IPv4Flow(of: packet) else { return 0 }
    Fuzz.check(packet[0] >> 4 == 4 && [IPv4Flow.tcp, IPv4Flow.udp, IPv4Flow.icmp].contains(packet[9]), "a flow read from \(packet.prefix(10))")
    var rewritten = packet
    flow.write(into: &rewritten)
    Fuzz.check(IPv4Flow(of: rewritten) == flow, "writing a flow back changed it")
    Fuzz.check(checksumsHold(rewritten, udpWithout: packet[9] == IPv4Flow.udp && udpChecksumIsZero(packet)), "checksums wrong after a write")

    var nat = AnonymousNAT()
    var random = SeededRandom(seed: 1)
    var out = packet
    guard let destination = nat.outbound(&out, token: token, own: own, now: now, random: &random) else { return 0 }
    let sent = IPv4Flow(of: out)!
    Fuzz.check(destination == flow.destination && sent.source == own && AnonymousNAT.ports.contains(sent.sourcePort),
               "translated to \(sent)")
    var answer = out
    if sent.proto == IPv4Flow.icmp { answer[Int(answer[0] & 0x0f) * 4] = 0 }
    var reply = sent
    swap(&reply.source, &reply.destination)
    if sent.proto != IPv4Flow.icmp { swap(&reply.sourcePort, &reply.destinationPort) }
    reply.write(into: &answer)
    var stray = answer
    Fuzz.check(nat.inbound(&answer, now: now) == token, "the answer found no flow")
    let back = IPv4Flow(of: answer)!
    Fuzz.check(back.destination == IPv4Address(0) && back.destinationPort == flow.sourcePort, "the answer went back as \(back)")
    var elsewhere = IPv4Flow(of: stray)!
    elsewhere.source = IPv4Address(elsewhere.source.value ^ 1)
    elsewhere.write(into: &stray)
    Fuzz.check(nat.inbound(&stray, now: now) == nil, "an answer from another host mapped to a flow")
    return 0
}

func udpChecksumIsZero(_ p: [UInt8]) -> Bool {
    let header = Int(p[0] & 0x0f) * 4
    return p[header + 6] == 0 && p[header + 7] == 0
}

func checksumsHold(_ p: [UInt8], udpWithout: Bool) -> Bool {
    let header = Int(p[0] & 0x0f) * 4
    let total = Int(p[2]) << 8 | Int(p[3])
    return p.withUnsafeBytes { raw in
        let transport = UnsafeRawBufferPointer(rebasing: raw[header..<total])
        guard InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: raw[0..<header])) else { return false }
        if udpWithout { return true }
        let pseudo = p[9] == IPv4Flow.icmp ? 0 : InternetChecksum.pseudoHeaderSum(raw, protocol: p[9], length: transport.count)
        return InternetChecksum.verifies(transport, pseudoHeaderSum: pseudo)
    }
}
