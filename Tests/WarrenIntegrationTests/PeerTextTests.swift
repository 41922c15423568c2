import Foundation
import Testing

extension IntegrationTests {
    /// Answers every STUN Binding request on port 3478 with a 420 error whose reason phrase
    /// carries terminal escapes: ESC [2J (clear screen), an OSC window title ended by BEL,
    /// CSI as the C1 control U+009B, and DEL.
    static let hostileSTUNServer = #"""
        import socket, struct
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 3478))
        reason = "Evil\x1b[2J\x1b]0;pwned\x07 \u009b31m\x7f end".encode()
        value = bytes([0, 0, 4, 20]) + reason
        attribute = struct.pack("!HH", 0x0009, len(value)) + value + b"\0" * (-len(value) % 4)
        while True:
            data, source = s.recvfrom(2048)
            if len(data) >= 20:
                s.sendto(struct.pack("!HHI", 0x0111, len(attribute), 0x2112A442) + data[8:20] + attribute, source)
        """#

    @Test("warren netcheck prints a STUN server's reason phrase with its control characters made visible, and --json keeps them escaped")
    func netcheckStripsControlCharacters() async throws {
        try await Lab.run { lab in
            let stun = try await lab.addNode("stun")
            let a = try await lab.addNode("a")
            _ = try lab.startProcess("hostile-stun", stun.exec("python3", "-c", Self.hostileSTUNServer))
            try lab.configure(a, peers: [], stun: ["\(stun.underlay):3478"])
            try await lab.start(a)

            let text = try await Command.check([lab.warren, "netcheck", "--socket", a.socketPath]).stdout
            let controls = text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) }
            #expect(controls.isEmpty, "netcheck printed control characters \(controls.map { String($0.value, radix: 16) }):\n\(text)")
            #expect(text.contains(#"420 Evil\x1B[2J\x1B]0;pwned\x07 \x9B31m\x7F end"#), "\(text)")

            let json = try await Command.check([lab.warren, "netcheck", "--socket", a.socketPath, "--json"]).stdout
            #expect(!json.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "raw C0 controls in JSON: \(json)")
            #expect(json.lowercased().contains(#"evil\u001b[2j"#), "\(json)")
            let report = try JSONDecoder().decode(NetCheckOutput.self, from: Data(json.utf8))
            #expect(report.servers.first?.error == "420 Evil\u{1B}[2J\u{1B}]0;pwned\u{07} \u{9B}31m\u{7F} end", "\(report)")
        }
    }
}
