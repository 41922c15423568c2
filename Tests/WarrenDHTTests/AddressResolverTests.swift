import Testing
import WarrenWire
@testable import WarrenDHT

@Suite("Address resolver")
struct AddressResolverTests {
    let address = IPv4Address(10, 8, 0, 42)

    @Test("the first packet starts a lookup, later ones wait, the finished lookup hands them back")
    func queue() {
        var r = AddressResolver()
        #expect(r.miss(address, packet: [1], now: .zero) == .lookUp(key: RecordKey.address(address)))
        r.started(address, lookupID: 7)
        #expect(r.miss(address, packet: [2], now: .zero) == .queued)
        let done = r.finished(lookupID: 7)
        #expect(done?.address == address && done?.packets == [[1], [2]])
        #expect(r.finished(lookupID: 7) == nil)
        #expect(r.pendingCount == 0)
    }

    @Test("the queue keeps the newest packets when full")
    func bounded() {
        var r = AddressResolver()
        for i in 0..<(AddressResolver.maxQueuedPackets + 5) { _ = r.miss(address, packet: [UInt8(i)], now: .zero) }
        r.started(address, lookupID: 1)
        let packets = r.finished(lookupID: 1)?.packets ?? []
        #expect(packets.count == AddressResolver.maxQueuedPackets)
        #expect(packets.first == [5])
    }

    @Test("addresses are given up after the patience runs out, and their number is bounded")
    func expiryAndBound() {
        var r = AddressResolver(patience: .seconds(3))
        _ = r.miss(address, packet: [1], now: .zero)
        #expect(r.expire(now: Instant.zero + .seconds(2)).isEmpty)
        #expect(r.expire(now: Instant.zero + .seconds(3)).map(\.address) == [address])
        for i in 0..<AddressResolver.maxPendingAddresses { _ = r.miss(IPv4Address(UInt32(i)), packet: [], now: .zero) }
        #expect(r.miss(IPv4Address(10, 9, 9, 9), packet: [], now: .zero) == .dropped)
    }
}
