import Foundation
import WarrenDHT

/// What became of a message the moment it was sent.
enum Fate {
    case sent
    case lost
    case cut
}

struct TraceKey: Hashable {
    let node: Int
    let key: NodeID
}

/// A query of a traced lookup, or what came back.
struct TraceEvent {
    enum What {
        case query(Fate, departed: Bool)
        case answerMissing(Fate)
        case contacts([Int])
        case records(Int)
        case other
    }

    let at: UInt64
    let peer: Int
    let what: What
}

extension Simulation {
    /// Explains a measured lookup that failed or took longer than five median RTTs, on
    /// standard error: every query it sent and answer it got, and where the record lives.
    func diagnose(_ result: LookupResult, found: Bool, at source: Int, target: Int, startedAt: UInt64) {
        let key = nodes[target].addressKey
        let trace = traces.removeValue(forKey: TraceKey(node: source, key: key)) ?? []
        let slow = Double(result.duration.nanosecondsValue) / 1e6 > 5 * scenario.link.medianRTTMilliseconds
        guard !found || slow else { return }
        let unix = moment.unixSeconds
        let byDistance = up.map(Int.init).sorted {
            nodes[$0].dht.own.id.distance(to: key) < nodes[$1].dht.own.id.distance(to: key)
        }
        let holderRanks = byDistance.enumerated().filter { !nodes[$0.element].dht.store.lookup(key, now: unix).isEmpty }.map(\.offset)
        let answeredRanks = result.closest.compactMap { c in byDistance.firstIndex { nodes[$0].dht.own.id == c.id } }
        var out = found ? "slow lookup" : "FAILED lookup"
        out += " at \(seconds(startedAt)) s: node \(source) for node \(target)"
        out += " (published \(nodes[target].publishedAt.map { "\(seconds($0)) s" } ?? "never"), up \(nodes[target].isUp))"
        out += ": \(ms(UInt64(result.duration.nanosecondsValue))), \(result.queries) queries, \(result.hops) hops"
        out += "\n    live holders at distance ranks \(Array(holderRanks.prefix(25)))"
        if !found { out += "\n    ended on ranks \(Array(answeredRanks.sorted().prefix(25)))" }
        let sizes = nodes[source].dht.table.bucketSizes
        let buckets = (0...(sizes.keys.max() ?? 0)).map { String(sizes[$0] ?? 0) }.joined(separator: " ")
        out += "; asker's table \(nodes[source].dht.table.count) contacts, by bucket: \(buckets)"
        out += "; target in its bucket \(nodes[source].dht.own.id.commonPrefixLength(with: key))"
        for event in trace { out += "\n    " + describe(event, source: source, key: key, start: startedAt) }
        printToStandardError(out)
    }

    func traceSent(_ message: DHTMessage, from i: Int, to j: Int, fate: Fate) {
        if !message.isRequest, let trace = tracedRequests[UInt64(j) << 32 | UInt64(message.requestID)], traces[trace] != nil {
            // An answer to a traced query: worth a line only if it never arrives.
            if fate != .sent { traces[trace, default: []].append(TraceEvent(at: now, peer: i, what: .answerMissing(fate))) }
            return
        }
        guard case .findValue(let key) = message.body, traces[TraceKey(node: i, key: key)] != nil else { return }
        let trace = TraceKey(node: i, key: key)
        tracedRequests[UInt64(i) << 32 | UInt64(message.requestID)] = trace
        traces[trace, default: []].append(TraceEvent(at: now, peer: j, what: .query(fate, departed: !nodes[j].isUp)))
    }

    func traceDelivered(_ message: DHTMessage, from: Int, to: Int) {
        guard !message.isRequest, let trace = tracedRequests[UInt64(to) << 32 | UInt64(message.requestID)],
              traces[trace] != nil else { return }
        let what: TraceEvent.What = switch message.body {
        case .nodes(let contacts): .contacts(contacts.compactMap { SimulatedAddress.index(of: $0.endpoint) })
        case .value(let records): .records(records.count)
        default: .other
        }
        traces[trace, default: []].append(TraceEvent(at: now, peer: from, what: what))
    }

    /// One line of a lookup's trace, in words (ranks are computed now, among the nodes up now).
    private func describe(_ e: TraceEvent, source: Int, key: NodeID, start: UInt64) -> String {
        let t = ms(e.at - min(start, e.at))
        switch e.what {
        case .query(let fate, let departed):
            var line = "\(t) → \(e.peer) [rank \(rank(of: e.peer, to: key))] RTT \(link.roundTripNanoseconds(source, e.peer) / 1_000_000) ms"
            if departed { line += ", departed" }
            switch fate {
            case .sent: break
            case .lost: line += ", LOST"
            case .cut: line += ", cut by the partition"
            }
            return line
        case .answerMissing(let fate):
            return "\(t) answer from \(e.peer) \(fate == .lost ? "lost" : "cut by the partition")"
        case .contacts(let peers):
            return "\(t) ← \(e.peer): \(peers.count) contacts, best rank \(peers.map { rank(of: $0, to: key) }.min() ?? -1)"
        case .records(let n):
            return "\(t) ← \(e.peer): \(n) records"
        case .other:
            return "\(t) ← \(e.peer): other"
        }
    }

    private func rank(of node: Int, to key: NodeID) -> Int {
        let d = nodes[node].dht.own.id.distance(to: key)
        return up.filter { nodes[Int($0)].dht.own.id.distance(to: key) < d }.count
    }

    private func seconds(_ t: UInt64) -> String { String(format: "%.3f", Double(t) / 1e9) }
    private func ms(_ t: UInt64) -> String { String(format: "%.0f ms", Double(t) / 1e6) }
}

func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
