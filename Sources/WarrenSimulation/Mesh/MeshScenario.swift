/// What a mesh simulation runs: whole nodes (`WarrenNode.Node`) behind NAT boxes, started
/// together, then pings between pairs that never met.
public struct MeshScenario: Sendable {
    /// Where a host sits: on the public network, or behind a NAT of a kind.
    public enum Site: Hashable, Sendable, CustomStringConvertible {
        case open
        case nat(NATKind)

        public var description: String {
            switch self {
            case .open: "no-NAT"
            case .nat(let kind): kind.rawValue
            }
        }

        /// How two sites can be joined: directly by punching, directly once a port guess meets
        /// a sequential symmetric NAT's next port, or only through a relay (a symmetric NAT
        /// against one that filters by port, or two symmetric NATs).
        public static func traversal(_ a: Site, _ b: Site) -> Traversal {
            let symmetric: Set<Site> = [.nat(.symmetric), .nat(.symmetricSequential)]
            let pair: Set<Site> = [a, b]
            if pair.isSubset(of: symmetric) { return .relayed }
            guard !pair.isDisjoint(with: symmetric), pair.contains(.nat(.portRestricted)) else { return .punched }
            return pair.contains(.nat(.symmetricSequential)) ? .predicted : .relayed
        }
    }

    public enum Traversal: String, CaseIterable, Sendable, Codable {
        case punched, predicted, relayed
    }

    public var seed: UInt64
    /// Members besides the relays.
    public var nodes = 1000
    /// Bootstrap nodes on public addresses with the relay role.
    public var relays = 3
    public var pings = 10_000
    /// The share of members at each site (normalised).
    public var mix: [(site: Site, share: Double)] = [
        (.open, 0.15), (.nat(.fullCone), 0.15), (.nat(.portRestricted), 0.40),
        (.nat(.symmetric), 0.15), (.nat(.symmetricSequential), 0.15),
    ]
    /// Members start at random times in this window, as machines boot (relays at zero).
    public var startSeconds = 10.0
    /// When the first ping goes, and over how long the pings are spread.
    public var pingStartSeconds = 15.0
    public var pingSpreadSeconds = 60.0
    /// One-way delay between a host and the core of the network, uniform in this range (a
    /// datagram between two hosts takes the sum of theirs).
    public var accessMilliseconds = 2.0...40.0
    public var loss = 0.0
    /// The share of members that restart once while the pings run: each stops at a random
    /// moment of the ping window and starts again, cold, after a pause drawn from
    /// `downSeconds`, with the DHT contacts it saved when it stopped (as a restarted daemon
    /// has its state file).
    public var churn = 0.0
    public var downSeconds = 5.0...20.0

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// A user's ping: an echo request every second until one is answered, at most this many.
    static let echoAttempts = 5
    /// How long after the first echo the simulation watches for a direct path.
    static let watchSeconds = 10.0
}
