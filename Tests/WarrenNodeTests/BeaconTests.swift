import Testing
import WarrenNAT
import WarrenNode
import WarrenSession
import WarrenWire

/// LAN beacons: where they go, and which are believed.
@Suite("LAN beacons")
struct BeaconTests {
    static let lan = IPv4Address(192, 0, 2, 1)
    static let link = HostAddresses.IPv6Link(interfaceIndex: 3, address: IPv6Address("fe80::1")!)

    func beacons(_ actions: [NodeAction]) -> [([UInt8], BeaconLink)] {
        actions.compactMap { if case .sendBeacon(let bytes, let link) = $0 { (bytes, link) } else { nil } }
    }

    @Test("a beacon on every IPv4 network and IPv6 link, each joined; three quickly, then every ten seconds")
    func cadence() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.lanBeacons = true }
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(Self.lan)], ipv6Links: [Self.link])), at: a)
        net.timeout(a)
        let links = beacons(net.performed[a]).map(\.1)
        #expect(links == [.ipv4(Self.lan), .ipv6(interfaceIndex: 3, address: Self.link.address)])
        #expect(net.performed[a].contains { if case .joinBeaconGroup(.ipv4(Self.lan)) = $0 { true } else { false } })
        net.run(for: .seconds(4))
        #expect(beacons(net.performed[a]).count == 6)
        net.run(for: .seconds(10))
        #expect(beacons(net.performed[a]).count == 8)
    }

    @Test("no beacons when they are off, and none on IPv6 links without a dual-stack socket")
    func off() {
        let net = NodeNetwork()
        let quiet = net.add("quiet", host: 1)
        let v4 = net.add("v4", host: 2) {
            $0.lanBeacons = true
            $0.dualStack = false
        }
        for i in [quiet, v4] {
            net.handle(.localAddresses(HostAddresses(addresses: [.v4(Self.lan)], ipv6Links: [Self.link])), at: i)
            net.timeout(i)
        }
        #expect(beacons(net.performed[quiet]).isEmpty)
        #expect(beacons(net.performed[v4]).map(\.1) == [.ipv4(Self.lan)])
    }

    @Test("a member's beacon makes it a peer at the LAN address; a flood from one address is rationed")
    func believed() throws {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.lanBeacons = true }
        let b = net.add("b", host: 2)
        net.handle(.localAddresses(HostAddresses(addresses: [.v4(Self.lan)])), at: a)
        net.timeout(a)
        let beacon = try #require(beacons(net.performed[a]).first?.0)
        let arrival = LANBeaconGate.Arrival(source: Endpoint(address: .v4(Self.lan), port: LANBeacon.port),
                                            destination: .v4(LANBeacon.group), hopLimit: 1)
        net.handle(.beacon(beacon, arrival: arrival), at: b)
        let peer = net.status(b).peers.first
        #expect(peer?.name == "a" && peer?.foundBy == "lan" && peer?.endpoint == "192.0.2.1:51820")
        // The same beacon again is a replay; then the source's burst runs out.
        for _ in 0..<5 { net.handle(.beacon(beacon, arrival: arrival), at: b) }
        #expect(net.members[b].node.drops[.replayed] == 4)
        #expect(net.members[b].node.drops[.rateLimited] == 1)
    }

    @Test("a datagram longer than any beacon is malformed; one routed here is not believed")
    func refused() {
        let net = NodeNetwork()
        let b = net.add("b", host: 2)
        let group = LANBeaconGate.Arrival(source: Endpoint("192.0.2.1:22369")!, destination: .v4(LANBeacon.group), hopLimit: 1)
        net.handle(.beacon([UInt8](repeating: 0, count: LANBeacon.maxByteCount + 1), arrival: group), at: b)
        #expect(net.members[b].node.drops[.malformed] == 1)
        var routed = group
        routed.hopLimit = 2
        routed.source = Endpoint("192.0.2.9:22369")!
        net.handle(.beacon([1, 2, 3], arrival: routed), at: b)
        #expect(net.members[b].node.drops[.unsolicited] == 1)
        #expect(net.status(b).peers.isEmpty)
    }
}
