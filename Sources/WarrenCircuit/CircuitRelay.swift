public import WarrenCrypto
import WarrenNoise
public import WarrenWire

/// A relay's circuits: for each, the hop's layer and its two neighbours, the link it came in
/// on and the link it goes out on. That is all a relay learns of a circuit: never the sender
/// (unless it is the first hop) nor the destination (unless it is the last), and it logs
/// counts, never which incoming link pairs with which outgoing one.
///
/// Sans-I/O: it takes circuit messages from neighbours and returns what to send to whom.
public final class CircuitRelay {
    /// One end of a circuit on one link: the neighbour and the ID the link's creator chose.
    public struct Link: Hashable, Sendable {
        public let peer: Key32
        public let circuitID: UInt32

        public init(peer: Key32, circuitID: UInt32) {
            self.peer = peer
            self.circuitID = circuitID
        }
    }

    public enum Action: Equatable, Sendable {
        case send(CircuitMessage, to: Key32)
        /// A packet the sender meant for beyond the last hop: the node core decides whether
        /// and where it may go (anonymous routes, exits).
        case leave([UInt8], circuit: Link)
        /// The sender's flows of `token` go on `circuit` from now on (`CircuitCommand.attach`).
        case attach(token: UInt128, circuit: Link)
    }

    public enum Drop: Hashable, Sendable, CaseIterable {
        /// No circuit on that link, or a message of a kind that link does not carry.
        case unknownCircuit
        /// A forward message whose layer did not authenticate, or a counter seen before.
        case badLayer
        /// A create past the rate allowed per neighbour, or with the table full.
        case refusedCreate
        /// A create whose NK request did not authenticate to this relay's onion key.
        case badHandshake
        /// An extend past `maxExtends` or to this relay itself, or a command no last hop takes.
        case refusedExtend
    }

    /// Circuits held at once; a create past it is refused.
    public static let maxCircuits = 16_384
    /// Extend commands one circuit may send this hop: a failed extension may be retried
    /// elsewhere, but a circuit is no scanner of who is reachable from here.
    public static let maxExtends = 8
    /// Creates one neighbour may ask for: a burst of 90, then 3 a second (guard-spec's
    /// defaults against a client that builds circuits in a loop).
    public static let createBurst = 90.0
    public static let createsPerSecond = 3.0
    /// A circuit without traffic for this long is forgotten at this hop.
    public static let idleLifetime: Duration = .seconds(300)
    static let expiryInterval: Duration = .seconds(1)

    final class Circuit {
        let hop: CircuitHop
        let previous: Link
        var next: Link?
        /// The link a create went out on, until its created comes back.
        var extending: Link?
        var extendsLeft = CircuitRelay.maxExtends

        init(hop: CircuitHop, previous: Link) {
            self.hop = hop
            self.previous = previous
        }
    }

    let own: Key32
    public private(set) var onionKeys: OnionKeyRing
    /// How what this relay starts back towards senders, as a last hop, is padded.
    public var padding: CircuitPadding = .buckets
    private var random: any RandomSource
    private var byPrevious: [Link: Circuit] = [:]
    private var byNext: [Link: Circuit] = [:]
    private var creates: KeyedRateLimiter<Key32>
    public private(set) var drops: [Drop: Int] = [:]
    /// The circuits that extend past this relay, for the inbound packet thread; `switchVersion`
    /// changes with it.
    public private(set) var circuitSwitch = CircuitSwitch.empty
    public private(set) var switchVersion = 0
    private var nextExpiry: Instant?

    /// `own`: this node's key (it never extends a circuit to itself).
    public init(own: Key32, onionKeys: OnionKeyRing, random: any RandomSource) {
        self.own = own
        self.onionKeys = onionKeys
        self.random = random
        creates = KeyedRateLimiter(capacity: Self.createBurst, perSecond: Self.createsPerSecond, maxKeys: 4096)
    }

    public var circuitCount: Int { byPrevious.count }

    /// What this relay knows of each circuit: the neighbour before it and the one after (none
    /// at the last hop). For tests that check no relay learns more; never logged.
    public var neighbours: [(previous: Key32, next: Key32?)] {
        byPrevious.values.map { ($0.previous.peer, $0.next?.peer) }
    }

    /// A circuit message from the neighbour `peer`, authenticated by the session it came in.
    public func handle(_ message: CircuitMessage, from peer: Key32, now: Instant, into actions: inout [Action]) {
        let link = Link(peer: peer, circuitID: message.circuitID)
        switch message.kind {
        case .create: create(message, on: link, now: now, into: &actions)
        case .forward: forward(message, on: link, now: now, into: &actions)
        case .created: created(message, on: link, now: now, into: &actions)
        case .backward: backward(message, on: link, now: now, into: &actions)
        }
    }

    /// Whether `message` from `peer` is this relay's to handle: a create, or a message of a
    /// circuit it holds on that link. The rest (a sender's own createds and messages back, or
    /// messages of no circuit at all) are the node core's to sort out.
    public func holds(_ message: CircuitMessage, from peer: Key32) -> Bool {
        let link = Link(peer: peer, circuitID: message.circuitID)
        switch message.kind {
        case .create: return true
        case .forward: return byPrevious[link] != nil
        case .created, .backward: return byNext[link] != nil
        }
    }

    /// As the last hop of `circuit`, sends `payload` back to its sender (an answer the node
    /// core mapped to the circuit); nil if the circuit is gone, extends further, or has used
    /// every counter.
    public func reply(_ payload: [UInt8], on circuit: Link, now: Instant) -> Action? {
        guard let held = byPrevious[circuit], held.next == nil else { return nil }
        var body = payload
        padding.pad(&body, mtu: CircuitMessage.circuitMTU)
        guard let counter = held.hop.originate(&body, now: now) else { return nil }
        return .send(CircuitMessage(kind: .backward, circuitID: circuit.circuitID, counter: counter, body: body), to: circuit.peer)
    }

    /// Rotates the onion keys when due (`OnionKeyRing`); true when the descriptor must be
    /// published anew.
    public func rotateOnionKeys(now unixSeconds: UInt64) -> Bool {
        onionKeys.rotate(now: unixSeconds, random: &random)
    }

    /// Forgets circuits idle for `idleLifetime`, looking at most once per `expiryInterval`:
    /// the inbound thread waits for the relay while it looks (`LockedCircuitRelay`).
    public func expire(now: Instant) {
        if let nextExpiry, now < nextExpiry { return }
        nextExpiry = now + Self.expiryInterval
        for (link, circuit) in byPrevious where now.since(circuit.hop.lastActiveAt) >= Self.idleLifetime {
            byPrevious[link] = nil
            for out in [circuit.next, circuit.extending].compactMap({ $0 }) { byNext[out] = nil }
            if let next = circuit.next {
                circuitSwitch.disconnect(link, from: next)
                switchVersion += 1
            }
        }
    }

    private func create(_ message: CircuitMessage, on link: Link, now: Instant, into actions: inout [Action]) {
        guard byPrevious[link] == nil, byPrevious.count < Self.maxCircuits, creates.allow(link.peer, now: now) else {
            return drop(.refusedCreate)
        }
        var reply: [UInt8] = []
        guard let keys = onionKeys.respond(to: message.body, prologue: CircuitBuild.prologue, random: &random, reply: &reply) else {
            return drop(.badHandshake)
        }
        byPrevious[link] = Circuit(hop: CircuitHop(layer: CircuitLayer(keys), now: now), previous: link)
        actions.append(.send(CircuitMessage(kind: .created, circuitID: link.circuitID, body: reply), to: link.peer))
    }

    private func forward(_ message: CircuitMessage, on link: Link, now: Instant, into actions: inout [Action]) {
        guard let circuit = byPrevious[link] else { return drop(.unknownCircuit) }
        var body = message.body
        guard let counter = circuit.hop.peel(message.counter, &body, now: now) else { return drop(.badLayer) }
        if let next = circuit.next {
            actions.append(.send(CircuitMessage(kind: .forward, circuitID: next.circuitID, counter: counter, body: body), to: next.peer))
        } else if !CircuitCommand.isCommand(body) {
            actions.append(.leave(body, circuit: link))
        } else {
            command(body, on: circuit, link: link, now: now, into: &actions)
        }
    }

    /// A command the sender sent this relay as `link`'s last hop, its layer taken off by the
    /// inbound packet thread (`CircuitEnds`).
    public func command(_ body: [UInt8], on link: Link, now: Instant, into actions: inout [Action]) {
        guard let circuit = byPrevious[link], circuit.next == nil else { return drop(.unknownCircuit) }
        command(body, on: circuit, link: link, now: now, into: &actions)
    }

    /// A command the sender sent this relay as the circuit's last hop.
    private func command(_ body: [UInt8], on circuit: Circuit, link: Link, now: Instant, into actions: inout [Action]) {
        switch try? CircuitCommand(parsing: body) {
        case .extend(let node, let request)? where node != own && circuit.extendsLeft > 0:
            circuit.extendsLeft -= 1
            if let stale = circuit.extending { byNext[stale] = nil }
            let out = Link(peer: node, circuitID: freeCircuitID(towards: node))
            circuit.extending = out
            byNext[out] = circuit
            actions.append(.send(CircuitMessage(kind: .create, circuitID: out.circuitID, body: request), to: node))
        case .cover?:
            break
        case .attach(let token)?:
            actions.append(.attach(token: token, circuit: link))
        case .probe(let nonce)?:
            if let answer = reply(CircuitCommand.probeReply(nonce: nonce).encoded, on: link, now: now) { actions.append(answer) }
        default:
            drop(.refusedExtend)
        }
    }

    /// Whether this relay holds `circuit` as its last hop (none beyond it).
    public func isLastHop(of circuit: Link) -> Bool {
        lastHop(of: circuit) != nil
    }

    /// This relay's part in `circuit`, if it is the circuit's last hop.
    public func lastHop(of circuit: Link) -> CircuitHop? {
        byPrevious[circuit].flatMap { $0.next == nil && $0.extending == nil ? $0.hop : nil }
    }

    private func created(_ message: CircuitMessage, on link: Link, now: Instant, into actions: inout [Action]) {
        guard let circuit = byNext[link], circuit.extending == link else { return drop(.unknownCircuit) }
        circuit.extending = nil
        circuit.next = link
        circuitSwitch.connect(circuit.previous, towards: link, hop: circuit.hop)
        switchVersion += 1
        var body = CircuitCommand.extended(reply: message.body).encoded
        guard let counter = circuit.hop.originate(&body, now: now) else { return drop(.badLayer) }
        actions.append(.send(CircuitMessage(kind: .backward, circuitID: circuit.previous.circuitID, counter: counter, body: body),
                             to: circuit.previous.peer))
    }

    private func backward(_ message: CircuitMessage, on link: Link, now: Instant, into actions: inout [Action]) {
        guard let circuit = byNext[link], circuit.next == link else { return drop(.unknownCircuit) }
        var body = message.body
        guard let counter = circuit.hop.wrap(message.counter, &body, now: now) else { return drop(.badLayer) }
        actions.append(.send(CircuitMessage(kind: .backward, circuitID: circuit.previous.circuitID, counter: counter, body: body),
                             to: circuit.previous.peer))
    }

    /// A random nonzero ID no circuit of ours uses towards `peer`.
    private func freeCircuitID(towards peer: Key32) -> UInt32 {
        while true {
            let id: UInt32 = random.next()
            if id != 0, byNext[Link(peer: peer, circuitID: id)] == nil { return id }
        }
    }

    private func drop(_ reason: Drop) {
        drops[reason, default: 0] += 1
    }
}
