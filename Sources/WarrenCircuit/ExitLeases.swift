import DequeModule
public import WarrenWire

/// The addresses an exit lends its senders. A sender's exit session is known by the random
/// token its circuits attach (as at a last hop, `CircuitCommand.attach`); the session gets
/// the next address of the exit's pools (the same offset in the IPv4 and the IPv6 pool), the
/// sender rewrites its packets' source to it, and the exit's kernel masquerades it. The
/// lease outlives the circuits: while none is attached it is kept for `grace`, so a circuit
/// that replaces a failed one re-attaches to the same address, and TCP connections through
/// the exit's connection tracking survive.
///
/// An address let go is lent again only after every other: the exit's connection tracking
/// may still hold its old flows, whose late answers must not reach a new sender.
public struct ExitLeases: Sendable {
    public static let grace: Duration = .seconds(60)

    public struct Lease: Hashable, Sendable {
        public let ipv4: IPv4Address?
        public let ipv6: IPv6Address?
    }

    private struct Session {
        let offset: UInt32
        var circuits: Int
        /// When the lease ends, while no circuit is attached.
        var endsAt: Instant?
    }

    public let ipv4: IPPrefix?
    public let ipv6: IPPrefix?
    /// Offsets 1...capacity are lent (IPv4: never the pool's first or last address).
    public let capacity: UInt32
    private var sessions: [UInt128: Session] = [:]
    private var owners: [UInt32: UInt128] = [:]
    private var neverLent: UInt32 = 1
    /// Let go, the longest ago first.
    private var released = Deque<UInt32>()

    /// Pools of at most 2^32 addresses are used whole; an IPv4 pool must hold at least one
    /// address between its first and last.
    public init?(ipv4: IPPrefix?, ipv6: IPPrefix?) {
        guard ipv4 != nil || ipv6 != nil else { return nil }
        if let ipv4, !ipv4.address.isIPv4 || ipv4.length > 30 { return nil }
        if let ipv6, ipv6.address.isIPv4 || ipv6.length > 126 { return nil }
        let v4 = ipv4.map { UInt64(1) << (32 - UInt64($0.length)) - 2 } ?? .max
        let v6 = ipv6.map { 128 - Int($0.length) >= 32 ? UInt64(UInt32.max) : UInt64(1) << UInt64(128 - Int($0.length)) - 1 } ?? .max
        capacity = UInt32(min(v4, v6, UInt64(UInt32.max)))
        self.ipv4 = ipv4?.network
        self.ipv6 = ipv6?.network
    }

    public var count: Int { sessions.count }

    /// A circuit attached `token`: its session's lease, lent now if it had none; nil when
    /// every address is lent.
    public mutating func attach(_ token: UInt128) -> Lease? {
        if var session = sessions[token] {
            session.circuits += 1
            session.endsAt = nil
            sessions[token] = session
            return lease(session.offset)
        }
        guard let offset = nextOffset() else { return nil }
        sessions[token] = Session(offset: offset, circuits: 1, endsAt: nil)
        owners[offset] = token
        return lease(offset)
    }

    /// A circuit that had attached `token` is gone; with the last, the grace begins.
    public mutating func detach(_ token: UInt128, now: Instant) {
        guard var session = sessions[token] else { return }
        session.circuits = max(0, session.circuits - 1)
        if session.circuits == 0 { session.endsAt = now + Self.grace }
        sessions[token] = session
    }

    /// Ends the leases whose grace is over; returns their tokens.
    public mutating func expire(now: Instant) -> [UInt128] {
        let ended = sessions.compactMap { token, session in
            session.endsAt.flatMap { now >= $0 ? (token: token, offset: session.offset, at: $0) : nil }
        }.sorted { ($0.at, $0.offset) < ($1.at, $1.offset) }
        for (token, offset, _) in ended {
            sessions[token] = nil
            owners[offset] = nil
            released.append(offset)
        }
        return ended.map(\.token)
    }

    public func lease(of token: UInt128) -> Lease? { sessions[token].map { lease($0.offset) } }

    /// The session an answer from the internet to `address` belongs to.
    public func token(for address: IPAddress) -> UInt128? {
        offset(of: address).flatMap { owners[$0] }
    }

    private mutating func nextOffset() -> UInt32? {
        if neverLent <= capacity {
            defer { neverLent += 1 }
            return neverLent
        }
        return released.popFirst()
    }

    private func lease(_ offset: UInt32) -> Lease {
        Lease(ipv4: ipv4.flatMap { pool in
                  guard case .v4(let base) = pool.address else { return nil }
                  return IPv4Address(base.value + offset)
              },
              ipv6: ipv6.flatMap { pool in
                  guard case .v6(let base) = pool.address else { return nil }
                  return IPv6Address(high: base.high, low: base.low + UInt64(offset))
              })
    }

    private func offset(of address: IPAddress) -> UInt32? {
        switch address {
        case .v4(let a):
            guard let ipv4, ipv4.contains(address), case .v4(let base) = ipv4.address else { return nil }
            return a.value - base.value
        case .v6(let a):
            guard let ipv6, ipv6.contains(address), case .v6(let base) = ipv6.address, a.high == base.high,
                  a.low >= base.low, a.low - base.low <= UInt64(capacity) else { return nil }
            return UInt32(a.low - base.low)
        }
    }
}
