import Testing
import WarrenCircuit
import WarrenWire

@Suite("Exit leases")
struct ExitLeasesTests {
    let start = Instant(nanoseconds: 1_000_000_000_000)

    func at(_ seconds: Int) -> Instant { start + .seconds(seconds) }

    @Test("each session gets the next address of both pools, and answers to it map back to the session")
    func lending() throws {
        var leases = try #require(ExitLeases(ipv4: IPPrefix("100.96.0.0/16"), ipv6: IPPrefix("fd77::/64")))
        let a = leases.attach(0xa), b = leases.attach(0xb)
        #expect(a?.ipv4 == IPv4Address("100.96.0.1") && a?.ipv6 == IPv6Address("fd77::1"))
        #expect(b?.ipv4 == IPv4Address("100.96.0.2") && b?.ipv6 == IPv6Address("fd77::2"))
        #expect(leases.token(for: .v4(IPv4Address("100.96.0.2")!)) == 0xb)
        #expect(leases.token(for: .v6(IPv6Address("fd77::1")!)) == 0xa)
        for unlent in ["100.96.0.0", "100.96.0.3", "100.97.0.1", "fd77::3", "fd78::1"] {
            #expect(leases.token(for: IPAddress(unlent)!) == nil, "\(unlent)")
        }
        // A second circuit of the same session shares its lease.
        #expect(leases.attach(0xa) == a && leases.count == 2)
    }

    @Test("a lease outlives its circuits by 60 s: a circuit attaching in time keeps the address, later it is gone")
    func grace() throws {
        var leases = try #require(ExitLeases(ipv4: IPPrefix("100.96.0.0/24"), ipv6: nil))
        let lent = leases.attach(0xa)
        let a = try #require(lent)
        _ = leases.attach(0xa)
        leases.detach(0xa, now: at(0))
        // One of its two circuits remains: no grace runs.
        #expect(leases.expire(now: at(600)).isEmpty)
        leases.detach(0xa, now: at(600))
        #expect(leases.expire(now: at(659)).isEmpty)
        #expect(leases.attach(0xa) == a, "re-attached within the grace")
        leases.detach(0xa, now: at(700))
        #expect(leases.expire(now: at(759)).isEmpty)
        #expect(leases.expire(now: at(760)) == [0xa])
        #expect(leases.lease(of: 0xa) == nil && leases.token(for: .v4(a.ipv4!)) == nil)
        // Attaching after the grace is a new session with another address.
        #expect(leases.attach(0xa)?.ipv4 == IPv4Address("100.96.0.2"))
    }

    @Test("an address let go is lent again only after every other, oldest first; a full pool lends nothing")
    func reuse() throws {
        var leases = try #require(ExitLeases(ipv4: IPPrefix("192.0.2.0/29"), ipv6: nil))
        #expect(leases.capacity == 6)
        for token in UInt128(1)...6 { #expect(leases.attach(token) != nil) }
        #expect(leases.attach(7) == nil, "the pool is full")
        for (second, token) in [(0, UInt128(4)), (1, 2)] { leases.detach(token, now: at(second)) }
        #expect(Set(leases.expire(now: at(100))) == [2, 4])
        #expect(leases.attach(7)?.ipv4 == IPv4Address("192.0.2.4"))
        #expect(leases.attach(8)?.ipv4 == IPv4Address("192.0.2.2"))
        #expect(leases.attach(9) == nil)
        // Never the pool's first or last address.
        #expect((1...9).compactMap { leases.lease(of: UInt128($0))?.ipv4 }.allSatisfy { $0 != IPv4Address("192.0.2.0") && $0 != IPv4Address("192.0.2.7") })
    }

    @Test("pools that cannot lend are refused")
    func refusals() {
        #expect(ExitLeases(ipv4: nil, ipv6: nil) == nil)
        #expect(ExitLeases(ipv4: IPPrefix("192.0.2.0/31"), ipv6: nil) == nil)
        #expect(ExitLeases(ipv4: IPPrefix("fd77::/64"), ipv6: nil) == nil)
        #expect(ExitLeases(ipv4: nil, ipv6: IPPrefix("10.0.0.0/8")) == nil)
        #expect(ExitLeases(ipv4: IPPrefix("192.0.2.0/30"), ipv6: IPPrefix("fd77::/126"))?.capacity == 2)
        #expect(ExitLeases(ipv4: nil, ipv6: IPPrefix("fd77::/120"))?.capacity == 255)
    }
}
