public import WarrenCrypto

/// The rules a circuit's hops obey, and the choice of hops under them. Hops are distinct
/// nodes, no two share an underlay IPv4 /16 or IPv6 /32 (one network's operator sees both)
/// or a family (one operator's nodes), and none is the sender or the destination. Only the
/// CA's capacity class weighs the choice of a middle.
public enum CircuitPath {
    /// Whether `a` and `b` may be hops of one circuit.
    public static func compatible(_ a: CircuitRelayInfo, _ b: CircuitRelayInfo) -> Bool {
        a.node != b.node && a.underlayNetwork != b.underlayNetwork && (a.family == nil || a.family != b.family)
    }

    /// Whether `path` obeys every rule, none of its hops being in `excluded` (the sender and
    /// the destination).
    public static func isValid(_ path: [CircuitRelayInfo], excluding excluded: Set<Key32>) -> Bool {
        for (i, hop) in path.enumerated() {
            if excluded.contains(hop.node) { return false }
            for other in path[..<i] where !compatible(hop, other) { return false }
        }
        return !path.isEmpty
    }

    /// `hops` relays from `entry` (the guard) to `last` if given, the others chosen among
    /// `relays` in proportion to their capacity class; nil if the rules leave no choice.
    public static func choose(hops: Int, entry: CircuitRelayInfo, last: CircuitRelayInfo? = nil, among relays: [CircuitRelayInfo],
                              excluding excluded: Set<Key32>, random: inout some RandomSource) -> [CircuitRelayInfo]? {
        precondition(hops >= 1 && (last == nil || hops >= 2))
        var path = [entry]
        path.reserveCapacity(hops)
        let chosenCount = last == nil ? hops : hops - 1
        while path.count < chosenCount {
            let fits = { (candidate: CircuitRelayInfo) in
                !excluded.contains(candidate.node) && (last.map { compatible($0, candidate) } ?? true)
                    && path.allSatisfy { compatible($0, candidate) }
            }
            guard let chosen = weightedChoice(relays, where: fits, random: &random) else { return nil }
            path.append(chosen)
        }
        if let last { path.append(last) }
        return isValid(path, excluding: excluded) ? path : nil
    }

    /// One of the relays that fit, in proportion to capacity; two passes, no array built.
    private static func weightedChoice(_ relays: [CircuitRelayInfo], where fits: (CircuitRelayInfo) -> Bool,
                                       random: inout some RandomSource) -> CircuitRelayInfo? {
        let total = relays.reduce(0) { fits($1) ? $0 + UInt64($1.capacity) : $0 }
        guard total > 0 else { return nil }
        var draw = random.next(below: total)
        for relay in relays where fits(relay) {
            if draw < UInt64(relay.capacity) { return relay }
            draw -= UInt64(relay.capacity)
        }
        return nil
    }
}
