public import WarrenWire

/// One peer's keypairs and WireGuard's rules for rotating them (whitepaper §5.4.6, §6.1;
/// `noise.c` add_new_keypair and received_with_keypair): a keypair from a handshake this side
/// started is current at once; one from a handshake it answered waits as `next` until the
/// peer's first packet on it proves the peer saw the answer. The keypair it replaces stays
/// `previous`, for packets still in flight.
///
/// Each change returns the local indices no keypair holds any more, for the caller to free.
struct KeyRing {
    private(set) var current: Keypair?
    private(set) var previous: Keypair?
    private(set) var next: Keypair?
    /// Keypairs superseded while the peer may still be sending on them (crossing
    /// handshakes): they decrypt until they expire, and are never sent with. Unlike
    /// WireGuard, which frees them at once: after crossing handshakes under load the peer
    /// keeps sending on the one it chose for a round trip, and freeing it would drop those
    /// packets as unknown_index.
    private(set) var retired: [Keypair] = []
    static let maxRetired = 3

    /// Every keypair that may still decrypt.
    var all: [Keypair] { [current, previous, next].compactMap { $0 } + retired }

    /// Whether current keys exist that have not expired.
    func hasSession(at now: Instant) -> Bool { current?.isUsable(at: now) == true }

    /// The keypair to send with: current, unexpired, and confirmed.
    func sendable(at now: Instant) -> Keypair? {
        guard let current, current.isUsable(at: now), current.isConfirmed.load(ordering: .relaxed) else { return nil }
        return current
    }

    /// A handshake this side started completed.
    mutating func installInitiated(_ keypair: Keypair) -> [UInt32] {
        var freed = retire(previous)
        if let answered = next.take() {
            // Both sides started a handshake at once and we answered the peer's too: it
            // will send on the keypair from our answer, so that one must stay receivable.
            freed += retire(current)
            previous = answered
        } else {
            previous = current
        }
        current = keypair
        return freed
    }

    /// This side answered a handshake: the keypair waits for the peer's first packet. An
    /// earlier answer stays receivable (the peer's retransmission crossed ours, and it may
    /// be using either).
    mutating func installAnswered(_ keypair: Keypair) -> [UInt32] {
        let freed = retire(next)
        next = keypair
        return freed
    }

    /// The peer's first packet on `keypair` came: if it is `next`, it becomes current.
    /// Nil when it is not `next` (already promoted, or superseded).
    mutating func confirm(_ keypair: Keypair) -> [UInt32]? {
        guard let candidate = next, candidate === keypair else { return nil }
        let freed = retire(previous)
        previous = current
        current = candidate
        next = nil
        return freed
    }

    /// Drops every keypair past its lifetime; empty when none was.
    mutating func expire(at now: Instant) -> [UInt32] {
        // Called for every peer on every tick: the common case allocates nothing.
        func expired(_ keypair: Keypair?) -> Bool { keypair.map { !$0.isUsable(at: now) } ?? false }
        guard expired(current) || expired(previous) || expired(next) || retired.contains(where: { !$0.isUsable(at: now) }) else {
            return []
        }
        var freed: [UInt32] = []
        func drop(_ slot: inout Keypair?) {
            guard let keypair = slot, !keypair.isUsable(at: now) else { return }
            freed.append(keypair.localIndex)
            slot = nil
        }
        drop(&previous)
        drop(&next)
        drop(&current)
        freed += retired.filter { !$0.isUsable(at: now) }.map(\.localIndex)
        retired.removeAll { !$0.isUsable(at: now) }
        return freed
    }

    /// Forgets every keypair.
    mutating func removeAll() -> [UInt32] {
        defer { self = KeyRing() }
        return all.map(\.localIndex)
    }

    private mutating func retire(_ keypair: Keypair?) -> [UInt32] {
        guard let keypair else { return [] }
        retired.append(keypair)
        guard retired.count > Self.maxRetired else { return [] }
        return [retired.removeFirst().localIndex]
    }
}
