public import WarrenCrypto
public import WarrenWire

/// How packets reach one peer, and where probes go to find a better way: its direct
/// endpoint (and other addresses its record or a punch named), and a relay channel when a
/// relay joined us to it. Packets take the relay until the direct path has shown that it
/// works both ways (an answer that came back directly), and return to the relay when the
/// direct path falls silent, so a session (and a TCP connection inside it) survives every
/// change of path.
///
/// A direct path that is not on the LAN gives way to one that is: two members behind one
/// NAT that hairpins meet first at its public address (that is where the DHT saw them), but
/// when one hears the other's LAN beacon, it probes the LAN address, and an answer from there
/// moves the endpoint. For `lanHold` after a move to the LAN, packets the peer sent through
/// the NAT before it moved too do not roam the endpoint back.
///
/// Times of packets that came directly are the packet threads' to record; callers pass in
/// the newest (`lastDirectReceived`). Each change that moves packets returns true, for the
/// caller to republish its routing.
public struct PathSelector: Sendable {
    /// A direct path stays trusted this long after the last answer or packet that came by
    /// it; a relayed peer's packets then go through the relay again until a probe is
    /// answered.
    public static let directTrust: Duration = .seconds(15)
    /// A relayed peer's addresses are probed this often for a direct path, for the first
    /// `eagerProbing` after the relay was bound, then every `directRecheck`.
    public static let probeInterval: Duration = .seconds(1)
    public static let eagerProbing: Duration = .seconds(10)
    public static let directRecheck: Duration = .seconds(15)
    /// How long a move to the LAN address holds against roaming to another source.
    public static let lanHold: Duration = .seconds(2)

    /// Where packets go now.
    public enum State: Equatable, Sendable {
        /// No address known yet.
        case unknown
        /// Straight to the peer's endpoint.
        case direct(Endpoint)
        /// Through a relay channel, bound by `via` once its relay said so.
        case relayed(Path, via: Key32?)
    }

    /// Where the peer's authenticated packets last came from directly, or where it is
    /// thought to be.
    public private(set) var endpoint: Endpoint?
    /// Other addresses it may be at directly (its record's, a punch's): while no session
    /// works, initiations go to all of them.
    public var candidates: [Endpoint] = []
    /// Guessed addresses of a peer behind an endpoint-dependent NAT (`PortPrediction`):
    /// probed with its other addresses while probing is eager, until a direct path is
    /// confirmed.
    public private(set) var predicted: [Endpoint] = []
    /// The relay channel towards the peer, if a relay bound one for us.
    public private(set) var relay: Path?
    /// The relay node that bound `relay`, once its `bound` message came (a relayed
    /// handshake can arrive first): channels are renewed with it.
    public private(set) var relayNode: Key32?
    /// Whether packets go on `relay`.
    public private(set) var usesRelay = false
    /// Where the peer's LAN beacon says it is on one of our LANs.
    public private(set) var lan: Endpoint?
    private var lanHeardAt: Instant?
    private var lastLANProbeAt: Instant?
    private var movedToLANAt: Instant?
    private var relayBoundAt: Instant?
    private var directConfirmedAt: Instant?
    private var lastProbeAt: Instant?

    public init(endpoint: Endpoint? = nil) {
        self.endpoint = endpoint
    }

    public var state: State {
        if usesRelay, let relay { return .relayed(relay, via: relayNode) }
        return endpoint.map(State.direct) ?? .unknown
    }

    /// Where packets to the peer go now.
    public var current: Path? { usesRelay ? relay : endpoint.map(Path.direct) }

    /// Every address the peer may be at directly, its endpoint first, each once.
    public var directAddresses: [Endpoint] {
        var addresses: [Endpoint] = []
        for e in [endpoint].compactMap({ $0 }) + candidates where !addresses.contains(e) { addresses.append(e) }
        return addresses
    }

    /// Takes `endpoint` as where the peer is; a probe to it may go at once.
    @discardableResult
    public mutating func move(to endpoint: Endpoint) -> Bool {
        guard self.endpoint != endpoint else { return false }
        self.endpoint = endpoint
        lastProbeAt = nil
        return true
    }

    /// Authenticated packets now come from `endpoint` (WireGuard's roaming): it becomes the
    /// endpoint, unless the endpoint moved to the LAN address within `lanHold` and this is
    /// a packet the peer sent elsewhere before it followed.
    public mutating func roam(to endpoint: Endpoint, now: Instant) -> Bool {
        if let lan, self.endpoint == lan, endpoint != lan, let since = movedToLANAt, now.since(since) < Self.lanHold { return false }
        guard move(to: endpoint) else { return false }
        if endpoint == lan { movedToLANAt = now }
        return true
    }

    /// A handshake message came by `path`: it becomes the direct endpoint, or the relay
    /// channel (whose probing starts over).
    public mutating func heard(on path: Path, now: Instant) -> Bool {
        guard path.isRelayed else {
            guard endpoint != path.endpoint else { return false }
            endpoint = path.endpoint
            return true
        }
        guard relay != path else { return false }
        relay = path
        relayBoundAt = now
        lastProbeAt = nil
        return true
    }

    /// The peer's beacon came from `endpoint` on one of our LANs: it is probed until it
    /// answers (then it becomes the endpoint) while the endpoint is elsewhere.
    public mutating func heardOnLAN(at endpoint: Endpoint, now: Instant) {
        guard lan != endpoint else { return }
        lan = endpoint
        lanHeardAt = now
        lastLANProbeAt = nil
    }

    /// The relay node `node` said it bound the relay channel.
    public mutating func boundBy(_ node: Key32) { relayNode = node }

    /// An answer came back directly from `endpoint` (a probe's echo, a handshake
    /// response): the direct path works both ways. Only a relayed peer keeps count, and a
    /// peer whose LAN address answered.
    public mutating func confirmDirect(from endpoint: Endpoint, now: Instant) -> Bool {
        guard relay != nil || endpoint == lan else { return false }
        let moved = self.endpoint != endpoint
        self.endpoint = endpoint
        if moved, endpoint == lan { movedToLANAt = now }
        directConfirmedAt = now
        predicted = []
        return moved
    }

    /// Whether the direct path has worked both ways recently: confirmed by an answer, and
    /// used since.
    public func trustsDirect(at now: Instant, lastDirectReceived: Instant) -> Bool {
        guard endpoint != nil, let confirmed = directConfirmedAt else { return false }
        return now.since(max(confirmed, lastDirectReceived)) < Self.directTrust
    }

    /// Puts packets on the relay or the direct path, whichever is due.
    public mutating func choose(at now: Instant, lastDirectReceived: Instant) -> Bool {
        let relayed = relay != nil && !trustsDirect(at: now, lastDirectReceived: lastDirectReceived)
        guard relayed != usesRelay else { return false }
        usesRelay = relayed
        return true
    }

    /// Guesses where the peer's NAT maps it for us, in place of earlier guesses.
    public mutating func predict(_ guesses: [Endpoint]) { predicted = guesses }

    /// Where a probe for a direct path goes now, if one is due (empty otherwise); the caller
    /// sends one while packets flow with a relayed peer. On the relay, every
    /// `probeInterval` at first, predicted addresses included, then every `directRecheck`;
    /// on a trusted direct path, every `probeInterval` once a third of its trust ran out
    /// with nothing come that way, to renew it before it lapses.
    public mutating func probeTargets(at now: Instant, lastDirectReceived: Instant) -> [Endpoint] {
        guard relay != nil else { return lanProbeTargets(at: now) }
        let interval: Duration
        var guesses: [Endpoint] = []
        if usesRelay {
            let eager = now.since(relayBoundAt ?? now) < Self.eagerProbing
            interval = eager ? Self.probeInterval : Self.directRecheck
            if eager { guesses = predicted }
        } else {
            let heard = max(directConfirmedAt ?? .zero, lastDirectReceived)
            guard now.since(heard) >= Self.directTrust / 3 else { return [] }
            interval = Self.probeInterval
        }
        if let last = lastProbeAt, now.since(last) < interval { return [] }
        lastProbeAt = now
        let addresses = directAddresses
        return addresses + guesses.filter { !addresses.contains($0) }
    }

    /// A LAN address heard of while the endpoint is elsewhere: probed every `probeInterval`
    /// for `eagerProbing` after its beacon, then every `directRecheck`.
    private mutating func lanProbeTargets(at now: Instant) -> [Endpoint] {
        guard let lan, lan != endpoint, let heard = lanHeardAt else { return [] }
        let interval = now.since(heard) < Self.eagerProbing ? Self.probeInterval : Self.directRecheck
        if let last = lastLANProbeAt, now.since(last) < interval { return [] }
        lastLANProbeAt = now
        return [lan]
    }
}
