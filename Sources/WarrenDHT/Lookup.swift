import WarrenCrypto
public import WarrenWire

/// An iterative node lookup (Kademlia §2.3): query the α closest known contacts for the k
/// closest they know, keep moving towards the target as answers arrive, and finish when the
/// k closest contacts seen have all answered (or nobody is left to ask).
///
/// A value driven by its owner: `next(now:)` says whom to query, `answered`, `failed` and
/// `expire(now:)` report what happened. It never sends or waits itself.
///
/// A query unanswered after `stallAfter` stops holding one of the α slots, so the lookup asks
/// the next candidate instead of waiting out `timeout` for a lost packet or a departed node;
/// its answer still counts if it comes before `timeout`.
public struct Lookup: Sendable {
    public let target: NodeID
    public let k: Int
    public let alpha: Int
    public let timeout: Duration
    /// nil: a query holds its slot until it times out (Kademlia as published).
    public var stallAfter: Duration?

    enum State: Sendable, Equatable {
        case fresh
        /// Asked: holds an α slot until `stallAt`, fails at `deadline`.
        case waiting(stallAt: Instant, deadline: Instant)
        case answered
        case failed
    }

    struct Candidate: Sendable {
        let distance: Distance
        let contact: Contact
        var state: State
        /// Answers it took to learn of this contact (0 for the seeds): the lookup's hop count.
        let depth: Int
    }

    /// Sorted by distance to the target, closest first.
    var candidates: [Candidate] = []
    public private(set) var queriesSent = 0

    public init(target: NodeID, seeds: [Contact], k: Int = 20, alpha: Int = 3, timeout: Duration = .seconds(2),
                stallAfter: Duration? = nil) {
        self.target = target
        self.k = k
        self.alpha = alpha
        self.timeout = timeout
        self.stallAfter = stallAfter
        add(seeds, depth: 0)
    }

    private mutating func add(_ contacts: [Contact], depth: Int) {
        for c in contacts where !candidates.contains(where: { $0.contact.id == c.id }) {
            let d = c.id.xorDistance(to: target)
            let at = candidates.firstIndex { d < $0.distance } ?? candidates.count
            candidates.insert(Candidate(distance: d, contact: c, state: .fresh, depth: depth), at: at)
        }
    }

    /// The k closest candidates that have not failed: the set the lookup converges on.
    private var frontier: [Candidate] {
        Array(candidates.lazy.filter { $0.state != .failed }.prefix(k))
    }

    /// Contacts to query now, so that at most α queries are outstanding and not stalled,
    /// taken from the closest not-yet-asked candidates among the k closest.
    public mutating func next(now: Instant) -> [Contact] {
        var inFlight = candidates.filter { if case .waiting(let stallAt, _) = $0.state { now < stallAt } else { false } }.count
        var chosen: [Contact] = []
        var considered = 0
        let stall = min(stallAfter ?? timeout, timeout)
        for i in candidates.indices where candidates[i].state != .failed {
            guard considered < k, inFlight < alpha else { break }
            considered += 1
            if candidates[i].state == .fresh {
                candidates[i].state = .waiting(stallAt: now + stall, deadline: now + timeout)
                chosen.append(candidates[i].contact)
                inFlight += 1
            }
        }
        queriesSent += chosen.count
        return chosen
    }

    /// `id` answered with the contacts it knows closest to the target.
    public mutating func answered(by id: NodeID, with contacts: [Contact]) {
        guard let i = candidates.firstIndex(where: { $0.contact.id == id }), candidates[i].state != .failed else { return }
        let depth = candidates[i].depth
        candidates[i].state = .answered
        add(contacts, depth: depth + 1)
    }

    /// `id` did not answer, or answered with an error.
    public mutating func failed(_ id: NodeID) {
        guard let i = candidates.firstIndex(where: { $0.contact.id == id }) else { return }
        candidates[i].state = .failed
    }

    /// Fails every query whose deadline has passed; returns their contacts.
    @discardableResult
    public mutating func expire(now: Instant) -> [Contact] {
        var expired: [Contact] = []
        for i in candidates.indices {
            if case .waiting(_, let deadline) = candidates[i].state, now >= deadline {
                candidates[i].state = .failed
                expired.append(candidates[i].contact)
            }
        }
        return expired
    }

    /// When the next outstanding query times out.
    public var nextDeadline: Instant? {
        candidates.compactMap { if case .waiting(_, let d) = $0.state { d } else { nil } }.min()
    }

    /// When the lookup next has something to do after `now`: a query stalls (frees its slot)
    /// or times out.
    public func nextWakeup(after now: Instant) -> Instant? {
        candidates.compactMap { c -> Instant? in
            guard case .waiting(let stallAt, let deadline) = c.state else { return nil }
            return stallAt > now ? stallAt : deadline
        }.min()
    }

    /// Done when the k closest non-failed candidates have all answered, or none is left.
    public var isFinished: Bool {
        frontier.allSatisfy { $0.state == .answered }
    }

    /// The closest contacts that answered, closest first (the lookup's result).
    public var closest: [Contact] {
        candidates.filter { $0.state == .answered }.prefix(k).map(\.contact)
    }

    /// How many answers deep `id` was found (1 = a seed answered about it).
    public func hops(to id: NodeID) -> Int? {
        candidates.first { $0.contact.id == id }.map { $0.depth }
    }
}
