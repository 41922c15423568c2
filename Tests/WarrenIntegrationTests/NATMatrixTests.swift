import Foundation
import Testing

/// Where a lab node sits: on the switch with a public address, or behind a NAT router.
enum Site: String, CaseIterable, Sendable, CustomStringConvertible {
    case open = "no-NAT"
    case fullCone = "full-cone"
    case addressRestricted = "address-restricted"
    case portRestricted = "port-restricted"
    case symmetric
    case symmetricSequential = "symmetric-sequential"

    var router: NATRouter.Kind? {
        switch self {
        case .open: nil
        case .fullCone: .fullCone
        case .addressRestricted: .addressRestricted
        case .portRestricted: .portRestricted
        case .symmetric: .symmetric
        case .symmetricSequential: .symmetricSequential
        }
    }

    var description: String { rawValue }

    /// Every ordered pair of sites: who pings first matters (whose NAT opens first).
    static var orderedPairs: [(Site, Site)] {
        allCases.flatMap { a in allCases.map { (a, $0) } }
    }

    /// How two sites can be joined: directly by punching, directly once a port guess meets
    /// a sequential symmetric NAT's next port, or only through a relay (a symmetric NAT
    /// against one that filters by port, or another symmetric one).
    enum Traversal { case punched, predicted, relayed }

    static func traversal(_ a: Site, _ b: Site) -> Traversal {
        let sites: Set<Site> = [a, b]
        let symmetric: Set<Site> = [.symmetric, .symmetricSequential]
        if sites.isSubset(of: symmetric) { return .relayed }
        guard !sites.isDisjoint(with: symmetric), sites.contains(.portRestricted) else { return .punched }
        return sites.contains(.symmetricSequential) ? .predicted : .relayed
    }
}

extension IntegrationTests {
    @Test("every ordered pair of NAT types, started together: a's first echo to b is answered, directly wherever punching or port guessing can work, through the relay otherwise",
          arguments: Site.orderedPairs)
    func natMatrix(a siteA: Site, b siteB: Site) async throws {
        try await Lab.run { lab in
            let boot = try await lab.addNode("boot", relay: true)
            var routers: [NATRouter?] = []
            for (name, site) in [("homeb", siteB), ("homea", siteA)] {
                routers.append(site.router == nil ? nil : try await lab.addNATRouter(name, kind: site.router!))
            }
            let b = try await lab.addNode("b", behind: routers[0])
            let a = try await lab.addNode("a", behind: routers[1])
            // As machines boot: nobody waits for anybody's record.
            try await lab.startTogether(boot: boot, [a, b])
            try await Task.sleep(for: .seconds(1))
            let started = ContinuousClock.now
            let (reply, firstReply) = try await lab.pingOnce(from: a, to: b.overlayIPv4)
            // Where the packets go from then on, and when they first went directly (on the
            // lab's switch, a node with no NAT is on the other's LAN).
            let traversal = Site.traversal(siteA, siteB)
            var path = "-"
            var direct: Duration?
            while ContinuousClock.now - started < .seconds(traversal == .relayed ? 2 : 5) {
                path = try await lab.status(a).peer(b)?.path ?? "-"
                if path == "direct" || path == "LAN" {
                    direct = ContinuousClock.now - started
                    break
                }
                // Port guesses are made while packets flow.
                if traversal == .predicted { _ = try await lab.pingOnce(from: a, to: b.overlayIPv4, waitSeconds: 1) }
                try await Task.sleep(for: .milliseconds(50))
            }
            let peer = try await lab.status(a).peer(b)
            print("NAT matrix: \(siteA) → \(siteB): \(reply.succeeded ? path : "failed"), first reply after "
                  + "\(reply.succeeded ? "\(firstReply)" : "-"), direct after \(direct.map { "\($0)" } ?? "-")")
            #expect(reply.succeeded, "\(siteA) → \(siteB): the first echo was not answered: \(reply)")
            // Within 3× of the README's "about 20 ms" (ping's own start-up included).
            #expect(firstReply < .milliseconds(60), "\(siteA) → \(siteB) took \(firstReply)")
            switch traversal {
            case .punched, .predicted:
                #expect(direct.map { $0 < .seconds(traversal == .punched ? 2 : 3) } == true, "\(siteA) → \(siteB) still \(path)")
                let publicAddress = routers[0]?.publicAddress ?? b.underlay
                #expect(peer?.endpoint?.hasPrefix(publicAddress + ":") == true, "\(siteA) → \(siteB) over \(peer?.endpoint ?? "-")")
            case .relayed:
                #expect(path == "relayed via boot", "\(siteA) → \(siteB): \(path)")
                #expect((try await lab.status(boot).relay?.packets ?? 0) > 0, "boot forwarded nothing")
            }
        }
    }
}
