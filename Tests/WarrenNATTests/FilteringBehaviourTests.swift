import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenNAT

@Suite("NAT filtering (RFC 5780 §4.4)")
struct FilteringBehaviourTests {
    let server = Endpoint("203.0.113.1:3478")!, other = Endpoint("203.0.113.2:3479")!
    let mapped = Endpoint("198.51.100.9:40001")!

    /// A plain request answered with `other` named, and the two change requests answered
    /// from the given sources (nil: no answer).
    func results(other: Endpoint?, both: Endpoint?, port: Endpoint?, errors: Bool = false) -> [BindingProbe.Result] {
        var plain = BindingProbe.Result(server: server)
        plain.mapped = mapped
        plain.answeredFrom = server
        plain.other = other
        var changeBoth = BindingProbe.Result(server: server, change: [.address, .port])
        var changePort = BindingProbe.Result(server: server, change: .port)
        if let both { (changeBoth.mapped, changeBoth.answeredFrom) = (mapped, both) }
        if let port { (changePort.mapped, changePort.answeredFrom) = (mapped, port) }
        if errors { (changeBoth.error, changePort.error) = ("420 Unknown Attribute", "420 Unknown Attribute") }
        return [plain, changeBoth, changePort]
    }

    @Test("the answer from the other address and port got in: endpoint-independent")
    func independent() {
        #expect(FilteringBehaviour.classify(results(other: other, both: other, port: Endpoint("203.0.113.1:3479"))) == .endpointIndependent)
    }

    @Test("only the answer from the other port got in: address-dependent")
    func addressDependent() {
        #expect(FilteringBehaviour.classify(results(other: other, both: nil, port: Endpoint("203.0.113.1:3479"))) == .addressDependent)
    }

    @Test("neither got in: address and port dependent")
    func addressAndPortDependent() {
        #expect(FilteringBehaviour.classify(results(other: other, both: nil, port: nil)) == .addressAndPortDependent)
    }

    @Test("unknown: no OTHER-ADDRESS, answers from the server's own address (CHANGE-REQUEST ignored), or refusals")
    func unknown() {
        #expect(FilteringBehaviour.classify(results(other: nil, both: nil, port: nil)) == .unknown)
        #expect(FilteringBehaviour.classify(results(other: other, both: server, port: server)) == .unknown)
        #expect(FilteringBehaviour.classify(results(other: other, both: nil, port: server)) == .unknown)
        #expect(FilteringBehaviour.classify(results(other: other, both: nil, port: nil, errors: true)) == .unknown)
        #expect(FilteringBehaviour.classify([]) == .unknown)
    }

    @Test("change requests carry CHANGE-REQUEST; a Warren node, with one address, refuses them with 420")
    func changeRequests() throws {
        var random = SeededRandom(seed: 5)
        var probe = BindingProbe(requests: [(server, []), (server, [.address, .port]), (server, .port)], random: &random)
        let sent = probe.poll(now: Instant(nanoseconds: 1))
        let flags = try sent.map { try STUNMessage(parsing: $0.bytes).attribute(.changeRequest)?.value }
        #expect(flags == [nil, [0, 0, 0, 6], [0, 0, 0, 2]])
        var responder = STUNResponder()
        guard case .respond(let reply) = responder.handle(try STUNMessage(parsing: sent[1].bytes), from: mapped, now: Instant(nanoseconds: 2)) else {
            Issue.record("no answer")
            return
        }
        let refusal = try STUNMessage(parsing: reply)
        let tookRefusal = probe.handle(refusal, from: server, now: Instant(nanoseconds: 3))
        #expect(tookRefusal)
        #expect(probe.results[1].error?.hasPrefix("420") == true && probe.results[1].mapped == nil)
        // The plain answer names no other address: nothing to tell.
        guard case .respond(let plain) = responder.handle(try STUNMessage(parsing: sent[0].bytes), from: mapped, now: Instant(nanoseconds: 4)) else {
            Issue.record("no answer")
            return
        }
        let tookPlain = probe.handle(try STUNMessage(parsing: plain), from: server, now: Instant(nanoseconds: 5))
        #expect(tookPlain)
        #expect(probe.results[0].mapped == mapped && probe.results[0].other == nil)
        #expect(FilteringBehaviour.classify(probe.results) == .unknown)
    }
}
