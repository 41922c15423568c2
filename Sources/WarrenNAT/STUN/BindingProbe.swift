public import WarrenCrypto
public import WarrenWire

/// Binding requests to a set of STUN servers, retransmitted until each answers or the probe
/// gives up (RFC 8489 §6.2.1, with a short schedule: a network check should take seconds, not
/// the 39.5 s of the RFC's defaults). A request may ask the server to answer from its other
/// address or port (RFC 5780's CHANGE-REQUEST, for `FilteringBehaviour`). Sans-I/O: `poll`
/// says what to send, `handle` takes answers; `results` holds what each request got.
public struct BindingProbe: Sendable {
    /// When requests go out, from the start: a first try and two retransmissions.
    public static let schedule: [Duration] = [.zero, .milliseconds(500), .milliseconds(1500)]
    /// After this, servers that have not answered count as unreachable.
    public static let timeout: Duration = .milliseconds(3000)

    /// CHANGE-REQUEST's flags (RFC 5780 §7.2): where the server should answer from.
    public struct Change: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let address = Change(rawValue: 0x04)
        public static let port = Change(rawValue: 0x02)
    }

    public struct Result: Equatable, Sendable {
        public let server: Endpoint
        /// What the request asked of the server; empty for a plain Binding request.
        public var change: Change = []
        /// The source address and port the server saw: this node's reflexive address.
        public var mapped: Endpoint?
        /// Where the answer came from.
        public var answeredFrom: Endpoint?
        /// The server's other address and port, if it named one (RFC 5780 OTHER-ADDRESS).
        public var other: Endpoint?
        public var roundTrip: Duration?
        /// An error response's code and reason, if the server sent one.
        public var error: String?
    }

    struct Transaction: Sendable {
        let id: TransactionID
        var sent = 0
        var firstSentAt: Instant?
    }

    public private(set) var results: [Result]
    var transactions: [Transaction]
    public private(set) var startedAt: Instant?

    /// Plain Binding requests to `servers`.
    public init(servers: [Endpoint], random: inout some RandomSource) {
        self.init(requests: servers.map { ($0, []) }, random: &random)
    }

    /// A request per entry, to its server, with its CHANGE-REQUEST flags.
    public init(requests: [(server: Endpoint, change: Change)], random: inout some RandomSource) {
        results = requests.map { Result(server: $0.server, change: $0.change) }
        transactions = requests.map { _ in Transaction(id: Self.transactionID(random: &random)) }
    }

    /// Adds a plain request to `server`, unless one went there already: sent at the next
    /// `poll`, retransmitted on the same schedule from then, and given up as late.
    /// (A server's other address, RFC 5780 §4.3: two addresses of one server tell the
    /// mapping behaviour as well as two servers do.) Returns whether it added one.
    @discardableResult
    public mutating func ask(_ server: Endpoint, random: inout some RandomSource) -> Bool {
        guard !results.contains(where: { $0.server == server && $0.change.isEmpty }) else { return false }
        results.append(Result(server: server))
        transactions.append(Transaction(id: Self.transactionID(random: &random)))
        return true
    }

    private static func transactionID(random: inout some RandomSource) -> TransactionID {
        var id = [UInt8](repeating: 0, count: 12)
        id.withUnsafeMutableBytes { random.fill($0) }
        return TransactionID(id)
    }

    /// The requests due now: the first ones at the start, then retransmissions.
    public mutating func poll(now: Instant) -> [(bytes: [UInt8], to: Endpoint)] {
        if startedAt == nil { startedAt = now }
        guard !isFinished(now: now) else { return [] }
        var out: [(bytes: [UInt8], to: Endpoint)] = []
        for i in transactions.indices where results[i].mapped == nil && results[i].error == nil {
            let t = transactions[i]
            guard t.sent < Self.schedule.count, now.since(t.firstSentAt ?? now) >= Self.schedule[t.sent] else { continue }
            transactions[i].sent += 1
            if t.firstSentAt == nil { transactions[i].firstSentAt = now }
            var request = STUNMessage(class: .request, transactionID: t.id)
            if !results[i].change.isEmpty {
                request.attributes.append(STUNAttribute(.changeRequest, value: [0, 0, 0, results[i].change.rawValue]))
            }
            out.append((request.encoded(fingerprint: true), results[i].server))
        }
        return out
    }

    /// Takes a response, which came from `source`, if it answers one of this probe's
    /// requests; returns whether it did. The round trip counts from the first transmission,
    /// as a user waiting would.
    public mutating func handle(_ response: STUNMessage, from source: Endpoint, now: Instant) -> Bool {
        guard response.messageClass == .success || response.messageClass == .error,
              let i = transactions.firstIndex(where: { $0.id == response.transactionID }),
              results[i].mapped == nil, results[i].error == nil else { return false }
        results[i].roundTrip = transactions[i].firstSentAt.map { now.since($0) }
        results[i].answeredFrom = source
        if response.messageClass == .success, let mapped = response.mappedAddress {
            results[i].mapped = mapped
            results[i].other = response.otherAddress
        } else {
            results[i].error = response.errorCode.map { "\($0.code) \($0.reason)" } ?? "response without an address"
        }
        return true
    }

    /// When `poll` next has a request to send, or else when a request is given up; nil
    /// before the first `poll`.
    public func nextDeadline() -> Instant? {
        guard let startedAt else { return nil }
        var next: Instant?
        for i in transactions.indices where results[i].mapped == nil && results[i].error == nil {
            let t = transactions[i]
            let first = t.firstSentAt ?? startedAt
            let due = t.sent < Self.schedule.count ? first + Self.schedule[t.sent] : first + Self.timeout
            if next.map({ due < $0 }) ?? true { next = due }
        }
        return next
    }

    /// Every request answered, or given up `timeout` after its first transmission.
    public func isFinished(now: Instant) -> Bool {
        guard startedAt != nil else { return false }
        return transactions.indices.allSatisfy { i in
            results[i].mapped != nil || results[i].error != nil
                || transactions[i].firstSentAt.map { now.since($0) >= Self.timeout } == true
        }
    }
}
