import Testing
import WarrenCrypto
import WarrenNAT
import WarrenWire

@Suite("Relay requests")
struct RelayRequestsTests {
    static func key(_ byte: UInt8) -> Key32 { Key32(bytes: [UInt8](repeating: byte, count: 32))! }
    let own = key(1)
    let relays = (10...12).map { PunchCoordinator.Node(publicKey: key(UInt8($0)), endpoint: Endpoint("203.0.113.\($0):51820")!) }
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test("one relay is asked at a time; the next only when no bound came within the wait")
    func oneAtATime() {
        var requests = RelayRequests(own: own)
        let peer = Self.key(50)
        let first = requests.start(towards: peer, relays: relays, now: t0)
        #expect(first != nil)
        #expect(requests.start(towards: peer, relays: relays, now: t0) == nil, "a request under way is not started again")
        #expect(requests.due(now: t0 + .milliseconds(999)).isEmpty)
        #expect(requests.nextDeadline() == t0 + RelayRequests.answerWait)
        let second = requests.due(now: t0 + RelayRequests.answerWait)
        #expect(second.count == 1 && second.first?.peer == peer && second.first?.relay != first)
        let third = requests.due(now: t0 + RelayRequests.answerWait * 2)
        #expect(Set([first, second.first?.relay, third.first?.relay].compactMap { $0?.publicKey }) == Set(relays.map(\.publicKey)))
        #expect(requests.count == 0 && requests.nextDeadline() == nil, "every relay was asked")
    }

    @Test("a bound ends the request: no other relay binds the pair")
    func boundStops() {
        var requests = RelayRequests(own: own)
        let peer = Self.key(51)
        _ = requests.start(towards: peer, relays: relays, now: t0)
        requests.bound(towards: peer)
        #expect(requests.due(now: t0 + .seconds(10)).isEmpty && requests.count == 0)
    }

    @Test("pairs are spread over the relays, the same on every run")
    func spread() {
        var firsts: [Key32: Int] = [:]
        for byte in UInt8(100)...UInt8(159) {
            var requests = RelayRequests(own: own)
            let relay = requests.start(towards: Self.key(byte), relays: relays, now: t0)
            var again = RelayRequests(own: own)
            #expect(again.start(towards: Self.key(byte), relays: relays, now: t0) == relay)
            if let relay { firsts[relay.publicKey, default: 0] += 1 }
        }
        #expect(firsts.count == 3 && firsts.values.allSatisfy { $0 >= 10 }, "\(firsts.values)")
    }

    @Test("neither this node nor the peer is asked, and outstanding requests are bounded")
    func bounds() {
        var requests = RelayRequests(own: own)
        let selfAndPeer = [PunchCoordinator.Node(publicKey: own, endpoint: relays[0].endpoint),
                           PunchCoordinator.Node(publicKey: Self.key(60), endpoint: relays[1].endpoint)]
        #expect(requests.start(towards: Self.key(60), relays: selfAndPeer, now: t0) == nil)
        for i in 0..<RelayRequests.maxOutstanding {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = 0xEE
            bytes[1] = UInt8(i & 0xFF)
            bytes[2] = UInt8(i >> 8)
            _ = requests.start(towards: Key32(bytes: bytes)!, relays: relays, now: t0)
        }
        #expect(requests.count == RelayRequests.maxOutstanding)
        #expect(requests.start(towards: Self.key(61), relays: relays, now: t0) == nil)
    }
}
