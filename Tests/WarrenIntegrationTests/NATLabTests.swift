import Foundation
import Testing

/// What `udp-probe.py probe` printed.
struct UDPProbeResult: Decodable {
    var seen: String?
    var altSeen: String?
    var altPort: Bool
    var altAddress: Bool
}

extension IntegrationTests {
    @Test("each NAT router of the lab maps and filters as the type it claims", arguments: NATRouter.Kind.allCases)
    func natRouterBehaves(kind: NATRouter.Kind) async throws {
        try await Lab.run { lab in
            // A server host with a second address, and a node behind the router; no daemons.
            let server = try await lab.addNode("server")
            let router = try await lab.addNATRouter("home", kind: kind)
            let inside = try await lab.addNode("inside", behind: router)
            let altAddress = "192.168.77.150"
            try await Command.check(server.namespace.ip("address", "add", "\(altAddress)/24", "dev", "eth0"))
            _ = try lab.startProcess("udp-probe-server", server.exec("python3", Lab.udpProbe, "serve", server.underlay, altAddress, "3478", "20"))
            try await Task.sleep(for: .milliseconds(300))
            let out = try await Command.check(inside.exec("python3", Lab.udpProbe, "probe", "\(Lab.port)", server.underlay,
                                                          altAddress, "3478"))
            let probe = try JSONDecoder().decode(UDPProbeResult.self, from: Data(out.stdout.utf8))
            let seen = try #require(probe.seen, "no answer through the \(kind) NAT: \(out.stdout)")
            #expect(seen.hasPrefix(router.publicAddress + ":"), "\(probe)")
            let independent = probe.seen == probe.altSeen
            switch kind {
            case .fullCone: #expect(independent && probe.altPort && probe.altAddress, "\(probe)")
            case .addressRestricted: #expect(independent && probe.altPort && !probe.altAddress, "\(probe)")
            case .portRestricted: #expect(independent && !probe.altPort && !probe.altAddress, "\(probe)")
            case .symmetric: #expect(!independent && !probe.altPort && !probe.altAddress, "\(probe)")
            case .symmetricSequential:
                let ports = [probe.seen, probe.altSeen].map { $0.flatMap { Int($0.split(separator: ":").last ?? "") } }
                #expect(!independent && !probe.altPort && !probe.altAddress && ports[1] == ports[0].map { $0 + 1 }, "\(probe)")
            }
            print("\(kind): mapped \(seen), then \(probe.altSeen ?? "-"); other port let in: \(probe.altPort), other address: \(probe.altAddress)")
        }
    }
}
