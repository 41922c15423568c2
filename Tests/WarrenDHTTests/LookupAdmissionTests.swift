import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenDHT

/// Security issue 11, finding 4: lookups are capped, per reason and in all, so whatever
/// starts them (packets to unknown addresses, peers going silent) sets no unbounded cost.
@Suite("Lookup admission")
struct LookupAdmissionTests {
    /// Node 0 knows one contact, which never answers: every lookup sends it one query and
    /// stays running until the query times out. (The contact stays in the table whatever
    /// its failures, so that later lookups have someone to ask too.)
    static func lonelyNode() -> MiniNetwork {
        var settings = DHTNode.Settings()
        settings.maxFailures = 1_000
        let net = MiniNetwork(count: 2, settings: settings)
        var actions: [DHTAction] = []
        net.nodes[0].learned(net.nodes[1].own, now: net.now.instant, into: &actions)
        net.offline = [1]
        return net
    }

    static func lookupsQuerying(_ actions: [DHTAction]) -> Int {
        actions.filter { if case .send(let m, _) = $0, case .findValue = m.body { true } else { false } }.count
    }

    @Test("lookups beyond the cap for their reason wait, beyond the queue they are refused, and others still run")
    func capsAndQueue() {
        let net = Self.lonelyNode()
        let settings = net.nodes[0].settings
        var actions: [DHTAction] = []
        var ids: [UInt32] = []
        let flood = settings.maxLookupsPerReason + settings.maxQueuedLookups + 20
        for n in 0..<flood {
            ids.append(net.nodes[0].findValue(contact(UInt64(500 + n)).id, for: .address, now: net.now.instant, into: &actions))
        }
        #expect(Self.lookupsQuerying(actions) == settings.maxLookupsPerReason)
        let stats = net.nodes[0].statistics
        #expect(stats.lookupsStarted == settings.maxLookupsPerReason)
        #expect(stats.lookupsQueued == settings.maxQueuedLookups)
        #expect(stats.lookupsRefused == 20)
        // The refused ones finish at once, having found nothing: their owners move on.
        let refused = actions.compactMap { if case .lookupFinished(let r) = $0 { r } else { nil } }
        #expect(refused.map(\.id) == Array(ids.suffix(20)))
        #expect(refused.allSatisfy { $0.records.isEmpty && $0.queries == 0 })

        // Another reason has its own share: an operator's lookup runs at once.
        actions = []
        let request = net.nodes[0].findValue(contact(999).id, for: .request, now: net.now.instant, into: &actions)
        #expect(Self.lookupsQuerying(actions) == 1)

        // As running lookups time out, the queued ones take their slots: here they find the
        // one contact failed and end at once, each making room for the next, until all ran.
        net.now.instant = net.now.instant + settings.queryTimeout + .milliseconds(1)
        actions = []
        net.nodes[0].handleTimers(now: net.now, random: &net.rng, into: &actions)
        let finished = actions.compactMap { if case .lookupFinished(let r) = $0 { r.id } else { nil } }
        #expect(Set(finished) == Set(ids.prefix(flood - 20) + [request]))
        #expect(net.nodes[0].statistics.lookupsStarted == settings.maxLookupsPerReason + settings.maxQueuedLookups + 1)
        #expect(net.nodes[0].lookups.count <= 1)
    }

    @Test("the overall cap holds across reasons")
    func overallCap() {
        let net = Self.lonelyNode()
        let settings = net.nodes[0].settings
        var actions: [DHTAction] = []
        for reason in LookupReason.allCases {
            for n in 0..<settings.maxLookupsPerReason {
                _ = net.nodes[0].findValue(contact(UInt64(600 + n)).id, for: reason, now: net.now.instant, into: &actions)
            }
        }
        #expect(Self.lookupsQuerying(actions) == settings.maxLookups)
        #expect(net.nodes[0].lookups.count == settings.maxLookups)
    }
}
