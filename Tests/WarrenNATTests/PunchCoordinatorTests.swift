import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenNAT

@Suite("Punch coordinator")
struct PunchCoordinatorTests {
    static func key(_ n: UInt8) -> Key32 { Key32(bytes: Array(repeating: n, count: 32))! }
    let own = key(1), rendezvous = key(2), peer = key(3), mallory = key(4), stranger = key(5)
    let policy = EndpointPolicy(overlay: [IPPrefix("10.8.0.0/16")!])
    let now = Instant(nanoseconds: 1_000_000_000)
    let peerRecord: [UInt8] = [0xAA]
    let peerEndpoints = [Endpoint("192.0.2.3:51820")!, Endpoint("127.0.0.1:22")!, Endpoint("172.20.1.2:51820")!]
    let seen = Endpoint("198.51.100.3:40001")!

    /// A stand-in for the DHT's record check: only `peerRecord` verifies, as the peer's.
    func verify(_ bytes: [UInt8]) -> (publicKey: Key32, endpoints: [Endpoint])? {
        bytes == peerRecord ? (peer, peerEndpoints) : nil
    }

    func coordinator() -> PunchCoordinator {
        var c = PunchCoordinator(own: own, policy: policy)
        c.publish(rendezvous: [rendezvous])
        return c
    }

    @Test("a notice from one of this node's rendezvous nodes punches towards the requester's signed record and the seen address")
    func fromRendezvous() throws {
        var c = coordinator()
        let notice = PunchMessage(kind: .notice, peer: peer, seen: seen, record: peerRecord)
        let punch = try c.admit(notice, from: rendezvous, now: now, verifyRecord: verify)
        #expect(punch == .init(peer: peer, candidates: [seen, Endpoint("192.0.2.3:51820")!, Endpoint("172.20.1.2:51820")!], seen: seen))
    }

    @Test("a notice from any other member is refused, whatever it names")
    func fromAnyoneElse() {
        var c = coordinator()
        let notice = PunchMessage(kind: .notice, peer: peer, seen: seen, record: peerRecord)
        #expect(throws: PunchCoordinator.Refusal.unsolicited) { try c.admit(notice, from: mallory, now: now, verifyRecord: verify) }
    }

    @Test("a rendezvous node's notice with an unverifiable record, or another node's record, is refused")
    func records() {
        var c = coordinator()
        let forged = PunchMessage(kind: .notice, peer: peer, seen: seen, record: [0xBB])
        #expect(throws: PunchCoordinator.Refusal.badRecord) { try c.admit(forged, from: rendezvous, now: now, verifyRecord: verify) }
        let misnamed = PunchMessage(kind: .notice, peer: stranger, seen: seen, record: peerRecord)
        #expect(throws: PunchCoordinator.Refusal.recordOfAnotherNode) {
            try c.admit(misnamed, from: rendezvous, now: now, verifyRecord: verify)
        }
        let requests = PunchMessage(kind: .request, peer: peer, record: peerRecord)
        #expect(throws: PunchCoordinator.Refusal.notANotice) { try c.admit(requests, from: rendezvous, now: now, verifyRecord: verify) }
    }

    @Test("the answer to this node's own request is obeyed once per node asked, until the request expires")
    func answers() throws {
        var c = PunchCoordinator(own: own, policy: policy)
        let asked = PunchCoordinator.Node(publicKey: mallory, endpoint: Endpoint("192.0.2.4:51820")!)
        let nodes = [asked, .init(publicKey: stranger, endpoint: Endpoint("127.0.0.1:51820")!), .init(publicKey: own, endpoint: seen)]
        // Neither this node nor a node at a refused address is asked.
        #expect(c.request(towards: peer, endpoints: peerEndpoints, via: nodes, now: now) == [asked])
        let answer = PunchMessage(kind: .notice, peer: peer, seen: seen)
        #expect(throws: PunchCoordinator.Refusal.unsolicited) { try c.admit(answer, from: stranger, now: now, verifyRecord: verify) }
        let other = PunchMessage(kind: .notice, peer: stranger, seen: seen)
        #expect(throws: PunchCoordinator.Refusal.unsolicited) { try c.admit(other, from: mallory, now: now, verifyRecord: verify) }
        // The addresses come from the record the request was made for, not the notice.
        let punch = try c.admit(answer, from: mallory, now: now, verifyRecord: verify)
        #expect(punch.candidates == [seen, Endpoint("192.0.2.3:51820")!, Endpoint("172.20.1.2:51820")!])
        #expect(throws: PunchCoordinator.Refusal.unsolicited) { try c.admit(answer, from: mallory, now: now, verifyRecord: verify) }

        _ = c.request(towards: peer, endpoints: peerEndpoints, via: [asked], now: now)
        let late = now + PunchCoordinator.requestLifetime
        #expect(throws: PunchCoordinator.Refusal.unsolicited) { try c.admit(answer, from: mallory, now: late, verifyRecord: verify) }
    }

    @Test("a seen address the policy refuses is dropped; with nothing left the notice is refused")
    func refusedAddresses() throws {
        var c = PunchCoordinator(own: own, policy: policy)
        let asked = PunchCoordinator.Node(publicKey: rendezvous, endpoint: Endpoint("192.0.2.2:51820")!)
        _ = c.request(towards: peer, endpoints: [Endpoint("10.8.0.3:51820")!], via: [asked], now: now)
        let loopback = PunchMessage(kind: .notice, peer: peer, seen: Endpoint("127.0.0.1:22")!)
        #expect(throws: PunchCoordinator.Refusal.noAddress) { try c.admit(loopback, from: rendezvous, now: now, verifyRecord: verify) }
    }

    @Test("outstanding requests are bounded")
    func bounded() {
        var c = PunchCoordinator(own: own, policy: policy)
        let asked = PunchCoordinator.Node(publicKey: rendezvous, endpoint: Endpoint("192.0.2.2:51820")!)
        for i in 0..<PunchCoordinator.maxOutstanding {
            let target = Key32(bytes: [UInt8(i & 0xff), UInt8(i >> 8)] + Array(repeating: 7, count: 30))!
            #expect(!c.request(towards: target, endpoints: [], via: [asked], now: now).isEmpty)
        }
        #expect(c.request(towards: peer, endpoints: [], via: [asked], now: now).isEmpty)
        #expect(!c.request(towards: peer, endpoints: [], via: [asked], now: now + PunchCoordinator.requestLifetime).isEmpty)
    }
}
