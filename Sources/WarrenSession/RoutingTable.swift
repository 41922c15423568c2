import WarrenCrypto
import WarrenWire

/// The routing snapshot, kept current one peer at a time. A relay has sessions with
/// thousands of members, one of which handshakes, rekeys or moves every few milliseconds:
/// rebuilding every route for each of those made publishing routing quadratic in the
/// number of peers.
///
/// Two certificates may claim one address or subnet (a node re-keyed, or the CA signed it
/// twice): the newer certificate owns it, whichever handshook first, and the older claim
/// takes over again if the newer one goes. Only such contested addresses keep a list of
/// their claims.
struct RoutingTable {
    typealias Route = RoutingSnapshot.Route

    /// What one peer with a session puts in the snapshot.
    struct Entry {
        let route: Route
        let host4: UInt32?
        let host6: IPv6Address?
        /// The subnets our CA lets it route.
        let subnets: [IPPrefix]
        /// Its keypairs that may still decrypt, with where its direct packets come from.
        let inbound: [RoutingSnapshot.Inbound]
    }

    private(set) var snapshot = RoutingSnapshot()
    /// Bumped whenever a peer's path changes, appears or goes: what a relay's forwarding
    /// depends on.
    private(set) var pathsVersion: UInt64 = 0
    /// What each peer claimed and where its packets went, to withdraw when it changes.
    private var claims: [Key32: (host4: UInt32?, host6: IPv6Address?, subnets: [IPPrefix], path: Path?)] = [:]
    private var subnets: [IPPrefix: Route] = [:]
    private var rivals4: [UInt32: [Route]] = [:]
    private var rivals6: [IPv6Address: [Route]] = [:]
    private var subnetRivals: [IPPrefix: [Route]] = [:]

    init(localDestinations: [IPPrefix]) {
        snapshot.localDestinations = localDestinations
    }

    mutating func reserve(anonymousPorts ports: ClosedRange<UInt16>, of address: IPv4Address) {
        snapshot.anonymousPorts = (address, ports)
    }

    mutating func acceptAnonymousDeliveries(to address: IPv4Address) {
        snapshot.anonymousDestination = address
    }

    mutating func routeThroughCircuits(_ prefixes: [IPPrefix]) {
        snapshot.circuitRoutes = prefixes
    }

    /// Replaces what the peers keyed by `changed` put in the snapshot with their `current`
    /// entries (nil for a peer gone or without a session).
    mutating func update(_ changed: some Sequence<Key32>, current: (Key32) -> Entry?) {
        var subnetsChanged = false
        for key in changed {
            guard let old = claims[key] else { continue }
            if let a = old.host4 { Self.withdraw(key, at: a, table: &snapshot.hosts4, rivals: &rivals4) }
            if let a = old.host6 { Self.withdraw(key, at: a, table: &snapshot.hosts6, rivals: &rivals6) }
            for prefix in old.subnets { Self.withdraw(key, at: prefix, table: &subnets, rivals: &subnetRivals) }
            subnetsChanged = subnetsChanged || !old.subnets.isEmpty
        }
        for key in changed {
            let entry = current(key)
            if claims[key]?.path != entry?.route.path { pathsVersion &+= 1 }
            if entry != nil || snapshot.byPeer[key] != nil { snapshot.byPeer[key] = entry?.route }
            guard let entry else {
                claims[key] = nil
                continue
            }
            claims[key] = (entry.host4, entry.host6, entry.subnets, entry.route.path)
            if let a = entry.host4 { Self.claim(a, for: entry.route, table: &snapshot.hosts4, rivals: &rivals4) }
            if let a = entry.host6 { Self.claim(a, for: entry.route, table: &snapshot.hosts6, rivals: &rivals6) }
            for prefix in entry.subnets { Self.claim(prefix, for: entry.route, table: &subnets, rivals: &subnetRivals) }
            subnetsChanged = subnetsChanged || !entry.subnets.isEmpty
            for inbound in entry.inbound { snapshot.byIndex[inbound.keypair.localIndex] = inbound }
        }
        if subnetsChanged {
            snapshot.subnets = subnets.map { .init(prefix: $0.key, route: $0.value) }.sorted { $0.prefix.length > $1.prefix.length }
        }
    }

    /// No keypair holds `index` any more. (Withdrawn at once rather than with its peer's
    /// other entries: by the next update the index may be another peer's.)
    mutating func free(_ index: UInt32) {
        // Most freed indices are handshakes' that never held keys: no copy of a published table for them.
        if snapshot.byIndex[index] != nil { snapshot.byIndex[index] = nil }
    }

    private static func claim<Table: RouteTable>(_ address: Table.Key, for route: Route, table: inout Table,
                                                 rivals: inout [Table.Key: [Route]]) {
        if var claims = rivals[address] {
            claims.append(route)
            rivals[address] = claims
            table[address] = owner(claims)
        } else if let held = table[address], held.link.publicKey != route.link.publicKey {
            rivals[address] = [held, route]
            table[address] = owner([held, route])
        } else {
            table[address] = route
        }
    }

    private static func withdraw<Table: RouteTable>(_ publicKey: Key32, at address: Table.Key, table: inout Table,
                                                    rivals: inout [Table.Key: [Route]]) {
        guard var claims = rivals[address] else {
            if table[address]?.link.publicKey == publicKey { table[address] = nil }
            return
        }
        claims.removeAll { $0.link.publicKey == publicKey }
        rivals[address] = claims.count > 1 ? claims : nil
        table[address] = owner(claims)
    }

    /// The claim no other claim's certificate supersedes; of equals, the latest.
    private static func owner(_ claims: [Route]) -> Route? {
        claims.reduce(nil) { held, route in
            if let held, held.link.certificate.supersedes(route.link.certificate) { held } else { route }
        }
    }
}
