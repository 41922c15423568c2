import Testing
import WarrenWire
@testable import WarrenSession

/// Findings of the fuzz targets in Fuzz/ (run with `scripts/fuzz`), each kept as a test with
/// the input that found it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // DataPathInbound, mode 2 (alice's plaintext, sealed with her real keys):
    //   45 00 00 04 f7 00 00 00 40 11 00 00 c0 a8 0a 0a 07 08 00 02
    // an IPv4 header whose total length (4) is shorter than the header. DataPath.inbound
    // delivered 4 bytes to the TUN device, after checking a source address (bytes 12..<16)
    // that lies outside what it delivered. wireguard-go drops these too
    // (device/receive.go: `length < ipv4.HeaderLen`).
    @Test("a decrypted IPv4 packet whose total length is shorter than its header is dropped as malformed")
    func runtIPv4Packet() {
        let h = SessionHarness()
        h.addNode("bob", host: 2)
        h.addNode("alice", host: 1, staticPeers: [0])
        h.start(1)
        #expect(h.dropped.isEmpty)
        let runt: [UInt8] = [0x45, 0, 0, 4, 0xf7, 0, 0, 0, 0x40, 0x11, 0, 0] + h.nodes[1].ipv4.bytes + h.nodes[0].ipv4.bytes
        let delivered = h.send(runt, from: 1)
        #expect(delivered.isEmpty, "delivered \(delivered.map(\.packet))")
        #expect(h.dropped == [.malformed])
    }
}
