import Foundation
import Testing

/// Where a lab node sits: on the switch with a public address, or behind a NAT router.
enum Site: String, CaseIterable, Sendable, CustomStringConvertible {
    case open = "no-NAT"
    case fullCone = "full-cone"
    case addressRestricted = "address-restricted"
    case portRestricted = "port-restricted"
    case symmetric

    var router: NATRouter.Kind? {
        switch self {
        case .open: nil
        case .fullCone: .fullCone
        case .addressRestricted: .addressRestricted
        case .portRestricted: .portRestricted
        case .symmetric: .symmetric
        }
    }

    var description: String { rawValue }

    /// Every unordered pair of sites, each once.
    static var pairs: [(Site, Site)] {
        allCases.enumerated().flatMap { i, a in allCases[i...].map { (a, $0) } }
    }
}

extension IntegrationTests {
    /// Whether hole punching can work between the two: not when one side is symmetric and
    /// the other filters by port (or is symmetric too), which only a relay can join.
    static func canPunch(_ a: Site, _ b: Site) -> Bool {
        let hard: Set<Site> = [.symmetric, .portRestricted]
        return !((a == .symmetric && hard.contains(b)) || (b == .symmetric && hard.contains(a)))
    }

    @Test("every pair of NAT types: a reaches b at once, directly wherever punching can work and through the relay otherwise",
          arguments: Site.pairs)
    func natMatrix(a siteA: Site, b siteB: Site) async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot", relay: true)
            var routers: [NATRouter?] = []
            for (name, site) in [("homeb", siteB), ("homea", siteA)] {
                routers.append(site.router == nil ? nil : try await lab.addNATRouter(name, kind: site.router!))
            }
            let b = try await lab.addNode("b", behind: routers[0])
            let a = try await lab.addNode("a", behind: routers[1])
            try await lab.startAfterSettling(boot: boot, first: b, then: a)
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            let reply = try await Command.run(a.exec("ping", "-4", "-n", "-c", "1", "-w", "8", b.overlayIPv4))
            let firstReply = ContinuousClock.now - started
            // Where the packets go from then on, and when they first went directly (on the
            // lab's switch, a node with no NAT is on the other's LAN).
            var path = "-"
            var direct: Duration?
            while ContinuousClock.now - started < .seconds(5) {
                path = try await lab.status(a).peer(b)?.path ?? "-"
                if path == "direct" || path == "LAN" {
                    direct = ContinuousClock.now - started
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let peer = try await lab.status(a).peer(b)
            print("NAT matrix: \(siteA) → \(siteB): \(reply.succeeded ? path : "failed"), first reply after "
                  + "\(reply.succeeded ? "\(firstReply)" : "-"), direct after \(direct.map { "\($0)" } ?? "-")")
            #expect(reply.succeeded, "\(siteA) → \(siteB): \(reply)")
            // The first echo request is answered (ping retries after a second), over whatever
            // path; where punching can work, the path is direct within 2 s (the issue's bound).
            #expect(firstReply < .seconds(1), "\(siteA) → \(siteB) took \(firstReply)")
            if Self.canPunch(siteA, siteB) {
                #expect(direct.map { $0 < .seconds(2) } == true, "\(siteA) → \(siteB) still \(path)")
                let publicAddress = routers[0]?.publicAddress ?? b.underlay
                #expect(peer?.endpoint?.hasPrefix(publicAddress + ":") == true, "\(siteA) → \(siteB) over \(peer?.endpoint ?? "-")")
            } else {
                #expect(path == "relayed via boot", "\(siteA) → \(siteB): \(path)")
                #expect((try await lab.status(boot).relay?.packets ?? 0) > 0, "boot forwarded nothing")
            }
        }
    }
}
