import Testing
import WarrenCrypto
@testable import WarrenNoise
@testable import WarrenSession
import WarrenWire

/// The routing snapshot kept current one peer at a time: each update must leave it as a
/// rebuild from every peer would.
@Suite("routing table")
struct RoutingTableTests {
    static let contested = IPv4Address(10, 8, 0, 3)
    let links: (old: PeerLink, new: PeerLink, carol: PeerLink)
    let start = Instant(nanoseconds: 1_000_000_000)

    init() {
        let h = SessionHarness()
        let old = h.addNode("old", host: 3, overlayHost: 3, notBefore: 100)
        let new = h.addNode("new", host: 4, overlayHost: 3, notBefore: 500)
        let carol = h.addNode("carol", host: 5)
        func link(_ i: Int, _ byte: UInt8) -> PeerLink {
            PeerLink(certificate: h.nodes[i].certificate, handshakeKey: Key32(bytes: [UInt8](repeating: byte, count: 32))!)
        }
        links = (link(old, 1), link(new, 2), link(carol, 3))
    }

    func keypair(_ index: UInt32, for link: PeerLink) -> Keypair {
        let keys = TransportKeys(initiatorToResponder: SecretBytes(copying: [UInt8](repeating: 1, count: 32)),
                                 responderToInitiator: SecretBytes(copying: [UInt8](repeating: 2, count: 32)), handshakeHash: [])
        return Keypair(keys: keys, isInitiator: true, localIndex: index, remoteIndex: index + 1000, link: link, now: start)
    }

    func entry(_ link: PeerLink, indices: [UInt32] = [], path: Path? = nil) -> RoutingTable.Entry {
        let keypairs = indices.map { keypair($0, for: link) }
        var host4: UInt32?, host6: IPv6Address?
        if case .v4(let a) = link.certificate.body.ipv4.address { host4 = a.value }
        if case .v6(let a) = link.certificate.body.ipv6.address { host6 = a }
        return RoutingTable.Entry(route: .init(link: link, keypair: keypairs.first, path: path), host4: host4, host6: host6,
                                  subnets: [], inbound: keypairs.map { .init(keypair: $0, endpoint: nil) })
    }

    @Test("the newer certificate owns a contested address in either order; the older takes it back when the newer goes")
    func contestedAddress() {
        for order in [[links.old, links.new], [links.new, links.old]] {
            var table = RoutingTable(localDestinations: [])
            var present = Dictionary(uniqueKeysWithValues: order.map { ($0.publicKey, $0) })
            table.update(order.map(\.publicKey)) { key in present[key].map { entry($0) } }
            #expect(table.snapshot.route(to: .v4(Self.contested))?.link.name == "new")

            present[links.new.publicKey] = nil
            table.update([links.new.publicKey]) { key in present[key].map { entry($0) } }
            #expect(table.snapshot.route(to: .v4(Self.contested))?.link.name == "old")

            present[links.old.publicKey] = nil
            table.update([links.old.publicKey]) { key in present[key].map { entry($0) } }
            #expect(table.snapshot.route(to: .v4(Self.contested)) == nil)
            #expect(table.snapshot.routeCount == 0)
        }
    }

    @Test("a peer's update replaces its route and keypairs; the others' stay as they were")
    func update() {
        var table = RoutingTable(localDestinations: [])
        table.update([links.old.publicKey, links.carol.publicKey]) { key in
            key == links.old.publicKey ? entry(links.old, indices: [1]) : entry(links.carol, indices: [2])
        }
        let carolAddress = IPAddress.v4(IPv4Address(10, 8, 0, 5))
        #expect(table.snapshot.route(to: carolAddress)?.keypair?.localIndex == 2)

        table.free(2)
        table.update([links.carol.publicKey]) { _ in entry(links.carol, indices: [3]) }
        #expect(table.snapshot.route(to: carolAddress)?.keypair?.localIndex == 3)
        #expect(table.snapshot.inbound(index: 2) == nil)
        #expect(table.snapshot.inbound(index: 3)?.keypair.link.name == "carol")
        #expect(table.snapshot.route(to: .v4(Self.contested))?.keypair?.localIndex == 1)
        #expect(table.snapshot.inbound(index: 1)?.keypair.link.name == "old")
    }

    @Test("an index one peer freed and another took before the next update is the new holder's, in either order")
    func reusedIndex() {
        for order in [[links.old.publicKey, links.carol.publicKey], [links.carol.publicKey, links.old.publicKey]] {
            var table = RoutingTable(localDestinations: [])
            table.update([links.old.publicKey]) { _ in entry(links.old, indices: [7]) }
            table.free(7)
            table.update(order) { key in key == links.old.publicKey ? entry(links.old) : entry(links.carol, indices: [7]) }
            #expect(table.snapshot.inbound(index: 7)?.keypair.link.name == "carol")
        }
    }

    @Test("the paths version moves when a peer's path changes, appears or goes, not when only its keys do")
    func pathsVersion() {
        var table = RoutingTable(localDestinations: [])
        let carol = links.carol.publicKey
        let direct = Path.direct(Endpoint("192.0.2.5:51820")!)
        func version(after entry: RoutingTable.Entry?) -> UInt64 {
            table.update([carol]) { _ in entry }
            return table.pathsVersion
        }
        let appeared = version(after: entry(links.carol, indices: [1], path: direct))
        #expect(appeared == 1)
        #expect(version(after: entry(links.carol, indices: [2], path: direct)) == appeared, "new keys, same path")
        let relayed = version(after: entry(links.carol, indices: [2], path: Path(endpoint: Endpoint("192.0.2.1:51820")!, channel: 9)))
        #expect(relayed == appeared + 1)
        #expect(version(after: nil) == relayed + 1, "gone")
    }
}
