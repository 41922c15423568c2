import Testing
@testable import WarrenNAT
import WarrenNode
import WarrenSession
import WarrenWire

/// STUN on the node's port, `warren netcheck`, and the reflexive candidates a record names.
@Suite("NAT discovery")
struct NATDiscoveryTests {
    let stranger = Endpoint("198.51.100.7:3478")!

    @Test("a Binding request from anyone is answered with where it came from; junk and stray answers are counted")
    func answersSTUN() throws {
        let net = NodeNetwork()
        let a = net.add("a", host: 1)
        let request = STUNMessage(class: .request, transactionID: TransactionID(Array(repeating: 7, count: 12)), attributes: [])
        net.handle(.packet(.stun(request.encoded(fingerprint: true), from: stranger)), at: a)
        let answer = try #require(net.sends(at: a, to: stranger).first)
        #expect(try STUNMessage(parsing: answer).mappedAddress == stranger)
        net.handle(.packet(.stun([0, 1, 0], from: stranger)), at: a)
        #expect(net.members[a].node.drops[.malformed] == 1)
        let stray = STUNMessage(class: .success, transactionID: TransactionID(Array(repeating: 9, count: 12)), attributes: [])
        net.handle(.packet(.stun(stray.encoded(), from: stranger)), at: a)
        #expect(net.members[a].node.drops[.unknownType] == 1)
    }

    @Test("netcheck asks connected peers when no server is configured, and reports what they saw")
    func netcheckThroughPeers() throws {
        let (net, a, b) = NodeNetwork.connectedPair()
        net.request(.netcheck, at: a)
        let id = net.nextRequest
        guard case .netcheck(let report)? = net.reply(id, at: a) else {
            Issue.record("no netcheck reply: \(net.replies(at: a))")
            return
        }
        #expect(report.udp)
        #expect(report.servers.map(\.kind) == ["b"])
        #expect(report.servers.first?.server == net.members[b].endpoint.description)
        #expect(report.servers.first?.mapped == net.members[a].endpoint.description)
    }

    @Test("netcheck with nobody to ask answers at once, naming the servers it could not resolve")
    func netcheckAlone() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.stunServers = [HostPort("stun.example.net:3478")!, HostPort("stun2.example.net:3478")!] }
        net.handle(.stunServerAddresses([HostPort("stun2.example.net:3478")!: .failed("no such host")]), at: a)
        guard case .netcheck(let report)? = net.request(.netcheck, at: a) else {
            Issue.record("no netcheck reply")
            return
        }
        #expect(!report.udp)
        #expect(report.servers.map { $0.error } == ["not resolved yet", "cannot resolve: no such host"])
    }

    @Test("a configured server's resolved address is asked, with RFC 5780's filtering tests")
    func resolvedServer() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.stunServers = [HostPort("stun.example.net:3478")!] }
        net.handle(.stunServerAddresses([HostPort("stun.example.net:3478")!: .resolved(stranger)]), at: a)
        net.request(.netcheck, at: a)
        // A plain request and two CHANGE-REQUESTs, all to the server.
        #expect(net.sends(at: a, to: stranger).count == 3)
    }

    @Test("a configured server that names its other address is asked there too, and one server tells the mapping",
          arguments: [false, true])
    func otherAddress(symmetric: Bool) throws {
        let other = Endpoint("198.51.100.8:3479")!
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.stunServers = [HostPort(stranger.description)!] }
        net.request(.netcheck, at: a)
        let id = net.nextRequest
        // The server answers its plain request naming its other address; the CHANGE-REQUESTs go unanswered.
        func answer(_ bytes: [UInt8], seen: Endpoint, naming: Endpoint?) throws -> [UInt8] {
            let request = try STUNMessage(parsing: bytes)
            var answer = STUNMessage(class: .success, transactionID: request.transactionID, attributes: [])
            answer.append(mappedAddress: seen)
            if let naming { answer.attributes.append(STUNAttribute(.otherAddress, value: STUNAttribute.address(naming, xor: nil))) }
            return answer.encoded(fingerprint: true)
        }
        let plain = try #require(net.sends(at: a, to: stranger).first)
        #expect(net.sends(at: a, to: other).isEmpty)
        net.handle(.packet(.stun(try answer(plain, seen: Endpoint("192.0.2.200:40001")!, naming: other), from: stranger)), at: a)
        net.run(for: .seconds(2.9))
        #expect(net.sends(at: a, to: other).isEmpty, "not while the filtering tests may still be answered")
        net.run(for: .seconds(0.2))
        #expect(!net.hasReply(id, at: a))
        let toOther = try #require(net.sends(at: a, to: other).first, "the other address is asked")
        #expect(try STUNMessage(parsing: toOther).attribute(.changeRequest) == nil)
        let seenThere = Endpoint(symmetric ? "192.0.2.200:40002" : "192.0.2.200:40001")!
        net.handle(.packet(.stun(try answer(toOther, seen: seenThere, naming: stranger), from: other)), at: a)
        guard case .netcheck(let report)? = net.reply(id, at: a) else {
            Issue.record("no netcheck reply: \(net.replies(at: a))")
            return
        }
        #expect(report.mapping == (symmetric ? "endpoint-dependent" : "endpoint-independent"), "\(report)")
        #expect(report.servers.map(\.kind) == ["stun", "stun other address"])
        #expect(net.sends(at: a, to: other).count == 1, "answered at once: not retransmitted")
    }

    @Test("an other address a message may not point the node at is not asked")
    func otherAddressRefused() throws {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.stunServers = [HostPort(stranger.description)!] }
        net.request(.netcheck, at: a)
        let plain = try #require(net.sends(at: a, to: stranger).first)
        let request = try STUNMessage(parsing: plain)
        var answer = STUNMessage(class: .success, transactionID: request.transactionID, attributes: [])
        answer.append(mappedAddress: Endpoint("192.0.2.200:40001")!)
        let loopback = Endpoint("127.0.0.1:3479")!
        answer.attributes.append(STUNAttribute(.otherAddress, value: STUNAttribute.address(loopback, xor: nil)))
        net.handle(.packet(.stun(answer.encoded(fingerprint: true), from: stranger)), at: a)
        net.run(for: .seconds(3.1))
        #expect(net.sends(at: a, to: loopback).isEmpty)
    }

    @Test("a public address one server saw is not published, and is asked again in 30 s; one two servers agree on is", arguments: [1, 2])
    func reflexiveNeedsTwoServers(servers count: Int) throws {
        let servers = [stranger, Endpoint("203.0.113.9:3478")!].prefix(count)
        let mapped = Endpoint("192.0.2.200:40001")!
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.stunServers = servers.map { HostPort($0.description)! } }
        net.start(a)
        net.run(for: .seconds(3.1))
        for server in servers {
            for bytes in net.sends(at: a, to: server) {
                let request = try STUNMessage(parsing: bytes)
                var answer = STUNMessage(class: .success, transactionID: request.transactionID, attributes: [])
                answer.append(mappedAddress: mapped)
                net.handle(.packet(.stun(answer.encoded(fingerprint: true), from: server)), at: a)
            }
        }
        net.run(for: .seconds(1))
        let published = net.logs(at: a).first { $0.message == "public address changed" }?.fields[.reflexive]
        #expect(published == (count == 2 ? mapped.description : nil))
        let asked = net.sends(at: a, to: stranger).count
        net.run(for: .seconds(30))
        #expect(net.sends(at: a, to: stranger).count > asked || count == 2, "one server: asked again within 30 s")
    }

    @Test("the first candidate check asks the servers three seconds after start, then every five minutes")
    func candidateCheck() {
        let net = NodeNetwork()
        let a = net.add("a", host: 1) { $0.stunServers = [HostPort("198.51.100.7:3478")!] }
        net.start(a)
        func checks() -> Int {
            Set(net.sends(at: a, to: stranger).compactMap { try? STUNMessage(parsing: $0) }.map(\.transactionID)).count
        }
        net.run(for: .seconds(2.9))
        #expect(checks() == 0)
        net.run(for: .seconds(0.2))
        #expect(checks() == 1)
        net.run(for: .seconds(299))
        #expect(checks() == 1)
        net.run(for: .seconds(1))
        #expect(checks() == 2)
    }
}
