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

    @Test("every pair of NAT types: a reaches b directly wherever punching can work", arguments: Site.pairs)
    func natMatrix(a siteA: Site, b siteB: Site) async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot")
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
            let peer = try await lab.status(a).peer(b)
            let path = peer?.state == "connected" && reply.succeeded ? "direct via \(peer?.endpoint ?? "?")" : "failed"
            print("NAT matrix: \(siteA) → \(siteB): \(path), first reply after \(reply.succeeded ? "\(firstReply)" : "-")")
            if Self.canPunch(siteA, siteB) {
                #expect(reply.succeeded, "\(siteA) → \(siteB): \(reply)")
                // The issue's bound: direct within 2 s wherever punching can work. (Usually the
                // first echo request gets through in about 10 ms; now and then it is lost and
                // ping's retry a second later answers: see the issue 5 note.)
                #expect(firstReply < .seconds(2), "\(siteA) → \(siteB) took \(firstReply)")
                let publicAddress = routers[0]?.publicAddress ?? b.underlay
                #expect(peer?.endpoint?.hasPrefix(publicAddress + ":") == true, "\(siteA) → \(siteB) over \(peer?.endpoint ?? "-")")
            } else {
                // Only a relay could join these; none exists yet, so no direct path may appear.
                #expect(peer?.state != "connected" || !reply.succeeded, "\(siteA) → \(siteB) connected directly")
            }
        }
    }
}
