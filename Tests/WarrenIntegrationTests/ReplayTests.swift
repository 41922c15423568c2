import Foundation
import Testing

extension IntegrationTests {
    @Test("a captured transport datagram sent again is dropped as replayed and the session keeps working")
    func replayedTransportDatagramIsDropped() async throws {
        try Prerequisites.requireTools(["tcpdump", "python3"])
        try await Lab.run { lab in
            let nodes = try await lab.mesh(["a", "b"])
            let (sender, receiver) = (nodes[0], nodes[1])

            // Capture one transport-data datagram (type 4) from a to b on b's wire. `-U`
            // writes each packet at once; `-Z root` keeps tcpdump able to write in our directory.
            let capture = lab.path("transport.pcap")
            let tcpdump = try lab.startProcess("tcpdump", receiver.exec(
                "tcpdump", "-i", "eth0", "-n", "-s", "0", "-U", "-Z", "root", "-c", "1", "-w", capture,
                "udp dst port \(Lab.port) and src host \(sender.underlay) and udp[8] = 4"))
            try await lab.waitUntil("tcpdump is listening") { tcpdump.log.contains("listening on") || !tcpdump.isRunning }
            try await lab.requirePing(from: sender, to: receiver.overlayIPv4)
            guard try await tcpdump.waitForExit(timeout: .seconds(5)) else {
                throw LabError("tcpdump captured no transport datagram from a to b:\n\(tcpdump.log)")
            }
            let datagrams = try Pcap.udpDatagrams(in: Array(try Data(contentsOf: URL(fileURLWithPath: capture))))
            let datagram = try #require(datagrams.first, "the capture holds no UDP datagram:\n\(tcpdump.log)")
            try #require(datagram.payload.prefix(4) == [0x04, 0x00, 0x00, 0x00],
                         "not a transport datagram: \(datagram.payload.prefix(16).map { String(format: "%02x", $0) })")

            let before = try await lab.status(receiver).drops["replayed", default: 0]
            // The exact payload again, from a's namespace (another source port: a replay by
            // anyone on the path), to b's underlay address and port.
            let send = """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.sendto(bytes.fromhex(sys.argv[1]), (sys.argv[2], int(sys.argv[3])))
                """
            let hex = datagram.payload.map { String(format: "%02x", $0) }.joined()
            try await Command.check(sender.exec("python3", "-c", send, hex, receiver.underlay, "\(Lab.port)"))

            let status = try await lab.waitForStatus(receiver, timeout: .seconds(5), "b counts a replayed datagram") {
                $0.drops["replayed", default: 0] > before
            }
            #expect(status.drops["replayed", default: 0] == before + 1)
            try await lab.requirePing(from: sender, to: receiver.overlayIPv4)
            try await lab.requirePing(from: receiver, to: sender.overlayIPv4)
        }
    }
}
