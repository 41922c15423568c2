// DHTNode.handle: a node fed DHT messages from the members it has sessions with. The input
// is a variant byte (bit 0: default settings, or k = 3, α = 2 and a burst of 4 requests,
// so buckets fill and rate limits bite) followed by operations, each an op byte whose low
// three bits pick the kind and the next two the sender among alice, bob, carol and carol's
// new key:
//
// 0. a raw message: length(2) ‖ bytes, decoded with DHTMessage(parsing:), then delivered;
// 1-3. a ping, findNode or findValue request (id byte, key);
// 4. a STORE of a record a member genuinely signed (id, record, key);
// 5. a STORE of a mutated one: a byte flipped, the certificate swapped, a field changed
//    after signing, or signed by mallory, whom another CA certified;
// 6. a response to a request the node really sent (pong, nodes, storeResult, value), from
//    the contact asked, or from another one, or with another request ID;
// 7. the node's own doing: time passes, or the clocks jump (records expire), and the timers
//    run or not yet; it starts a lookup; or it publishes a record.
//
// Invariants (besides never trapping):
// - Every reply goes to the sender of the request, carries its request ID and answers its
//   type; every request gets exactly one reply unless rate limited (then only a STORE gets
//   one, `rateLimited`). Every message sent fits 1420 bytes (the default MTU) and decodes
//   to itself. A nodes reply is the k closest contacts of the table (by brute force here),
//   the requester left out; a findValue for a key with records gets a value reply.
// - A STORE of a record no member signed (`FuzzNetwork.isGenuine`, which re-signs rather
//   than trusting the verifier) changes neither `store.count` nor `store.lookup(key)` and is
//   answered `invalid`. A `stored` answer means a genuine, unexpired record under a key its
//   certificate owns, now found by `lookup`; a genuine, owned, fresh and newer record is
//   stored. Everything `lookup` returns for any key is genuine and owns the key, and so
//   is every record a finished lookup reports (and a node lookup reports none).
//   `store.count` never falls below what `lookup` finds, and equals it once timers ran.
// - A response to a request the node never sent (to that contact) has exactly the effect of
//   hearing from the sender: the routing table, statistics, store and deadlines are what
//   `learned(sender)` alone makes them. No message ever adds a contact to the routing table
//   other than its sender.
import FuzzFixtures
import FuzzSupport
import WarrenCrypto
import WarrenDHT
import WarrenPKI
import WarrenWire

/// The default MTU: every DHT message must fit one transport packet.
let mtu = 1420

/// The fixed cast and the two starting nodes, built once per process.
final class World: @unchecked Sendable {
    static let shared = World()

    let net = FuzzNetwork.shared
    let own = Contact(publicKey: Blake2b.hash32(Array("fuzz dht own".utf8)), endpoint: Endpoint("192.0.2.100:51820")!)
    /// alice, bob, carol and carol's new key: the members that send requests.
    let senders: [Contact]
    /// Other nodes: the first 12 are in the starting table, the rest appear only in answers.
    let pool: [Contact]
    /// Keys the input picks by index: every member's record keys, and some node IDs.
    let keys: [NodeID]
    let members: [Certificate]
    /// Each member's record keys (address key, node key), by member index.
    let memberKeys: [[NodeID]]
    /// All of them, once (carol's two certificates share an address key).
    let recordKeys: Set<NodeID>
    let bases: [Base]

    struct Base {
        let node: DHTNode
        let outstanding: [Request]
        let valueLookups: Set<UInt32>
    }

    private init() {
        let net = FuzzNetwork.shared, own = self.own
        let senders = (0..<4).map { net.memberContact($0) }
        let pool = (0..<24).map { (i: Int) -> Contact in
            let endpoint: Endpoint = i % 3 == 0 ? Endpoint("[2001:db8:5::\(i + 1)]:51820")!
                : Endpoint(address: .v4(IPv4Address(198, 51, 100, UInt8(i + 1))), port: 51820)
            return Contact(publicKey: Blake2b.hash32(Array("fuzz dht pool".utf8), [UInt8(i)]), endpoint: endpoint)
        }
        self.senders = senders
        self.pool = pool
        members = net.members
        memberKeys = members.map { FuzzNetwork.recordKeys(of: $0) }
        recordKeys = Set(memberKeys.joined())
        keys = memberKeys.flatMap { $0 } + [own.id] + senders.map(\.id) + pool.prefix(4).map(\.id)
        var small = DHTNode.Settings()
        small.k = 3
        small.alpha = 2
        small.requestBurst = 4
        small.requestsPerSecond = 1
        bases = [DHTNode.Settings(), small].map { settings in
            var random = SeededRandom(seed: 0xd47)
            var node = DHTNode(own: own, authority: net.authority, settings: settings, random: &random)
            var actions: [DHTAction] = []
            for c in senders + pool.prefix(12) { node.learned(c, now: net.now.instant, into: &actions) }
            _ = node.findNode(own.id, now: net.now.instant, into: &actions)
            let valueLookup = node.findValue(FuzzNetwork.recordKeys(of: net.alice)[0], for: .request, now: net.now.instant,
                                             into: &actions)
            let outstanding = actions.compactMap { action -> Request? in
                guard case .send(let m, let to) = action, m.isRequest else { return nil }
                return Request(id: m.requestID, to: to)
            }
            return Base(node: node, outstanding: outstanding, valueLookups: [valueLookup])
        }
    }

    /// Whether a member really signed `record` and its certificate owns `key`.
    func isGenuine(_ record: PeerRecord, under key: NodeID) -> Bool {
        guard let i = members.firstIndex(where: { $0.encoded == record.certificate }) else { return false }
        return memberKeys[i].contains(key) && net.isGenuine(record)
    }
}

/// A request the node sent (it may since have given up on it).
struct Request {
    let id: UInt32
    let to: Contact
}

/// Reads an input left to right; past its end every read gives zeros.
struct Input {
    let bytes: [UInt8]
    var at = 0

    var isAtEnd: Bool { at >= bytes.count }

    mutating func byte() -> UInt8 {
        defer { at += 1 }
        return at < bytes.count ? bytes[at] : 0
    }

    mutating func u16() -> Int { Int(byte()) << 8 | Int(byte()) }

    mutating func take(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let world = World.shared
    Fuzz.writeSeedsIfRequested(Seeds.all)
    // The base nodes must have asked someone, or no response could be a solicited one.
    Fuzz.check(world.bases.allSatisfy { !$0.outstanding.isEmpty }, "a base node sent no requests")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Input(bytes: Fuzz.bytes(data, size))
    var run = Run(base: World.shared.bases[Int(input.byte() & 1)])
    var ops = 0
    while !input.isAtEnd && ops < 128 {
        run.step(&input)
        ops += 1
    }
    run.finish()
    return 0
}

/// One input's node, what it has asked, and the time.
struct Run {
    let world = World.shared
    var node: DHTNode
    var outstanding: [Request]
    /// The lookups started with findValue (every other one is a node lookup).
    var valueLookups: Set<UInt32>
    var now: Moment
    var random = SeededRandom(seed: 0x71)
    /// Keys stores were asked to write.
    var touched: Set<NodeID> = []
    /// Everyone the node has heard from (the only contacts its table may hold).
    var heard: Set<NodeID>

    init(base: World.Base) {
        node = base.node
        outstanding = base.outstanding
        valueLookups = base.valueLookups
        now = World.shared.net.now
        heard = Set(World.shared.senders.map(\.id) + World.shared.pool.prefix(12).map(\.id))
    }

    var net: FuzzNetwork { world.net }

    /// The unexpired records under every key a record can be stored under (a member's
    /// address and node keys: the store takes no others).
    func storedRecords() -> Int {
        world.recordKeys.reduce(0) { $0 + node.store.lookup($1, now: now.unixSeconds).count }
    }

    mutating func step(_ input: inout Input) {
        let op = input.byte()
        let sender = world.senders[Int(op >> 3) % world.senders.count]
        switch op % 8 {
        case 0:
            let bytes = input.take(input.u16() % 1500)
            if let m = try? DHTMessage(parsing: bytes) { deliver(m, from: sender) }
        case 1:
            deliver(DHTMessage(requestID: UInt32(input.byte()), body: .ping), from: sender)
        case 2:
            let id = UInt32(input.byte())
            deliver(DHTMessage(requestID: id, body: .findNode(target: key(&input))), from: sender)
        case 3:
            let id = UInt32(input.byte())
            deliver(DHTMessage(requestID: id, body: .findValue(key: key(&input))), from: sender)
        case 4, 5:
            let id = UInt32(input.byte())
            let (genuine, signer) = self.record(&input)
            let record = op % 8 == 5 ? mutated(genuine, signer: signer, &input) : genuine
            deliver(DHTMessage(requestID: id, body: .store(key: key(for: signer, &input), record: record)), from: sender)
        case 6:
            respond(&input, other: sender)
        default:
            control(&input)
        }
        Fuzz.check(node.store.count >= storedRecords(), "store.count is \(node.store.count), below the \(storedRecords()) records it holds")
    }

    // MARK: Building messages from input bytes

    /// A known key (most bytes), or 32 bytes from the input (0xff).
    func key(_ input: inout Input) -> NodeID {
        let b = input.byte()
        if b == 0xff { return NodeID(raw: Key32(bytes: input.take(32))!) }
        return world.keys[Int(b) % world.keys.count]
    }

    /// For a record of `signer`: its address key, its node key, or any key.
    func key(for signer: Int, _ input: inout Input) -> NodeID {
        let keys = world.memberKeys[signer]
        let b = input.byte()
        switch b % 4 {
        case 0, 1: return keys[Int(b % 2)]
        default: return key(&input)
        }
    }

    /// A record a member signed: signer, endpoints, sequence, expiry from the input.
    func record(_ input: inout Input) -> (PeerRecord, signer: Int) {
        let signer = Int(input.byte()) % 4
        let endpoints = (0..<Int(input.byte()) % (PeerRecord.maxEndpoints + 1)).map { _ in Self.endpoint(input.byte()) }
        let sequence = UInt64(input.byte())
        let e = input.byte()
        let lifetime: UInt64 = e == 0 ? 0 : e == 0xff ? RecordStore.maxLifetimeSeconds + 1 : UInt64(e) * 300
        return (net.record(of: signer, endpoints: endpoints, sequence: sequence, expiresAt: now.unixSeconds + lifetime), signer)
    }

    static func endpoint(_ b: UInt8) -> Endpoint {
        b % 2 == 0 ? Endpoint(address: .v4(IPv4Address(203, 0, 113, b)), port: 51820 + UInt16(b))
            : Endpoint(address: .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: UInt64(b))), port: 51820)
    }

    /// `record`, no longer what its signer signed (or signed by mallory instead).
    func mutated(_ record: PeerRecord, signer: Int, _ input: inout Input) -> PeerRecord {
        let kind = input.byte(), at = input.u16(), value = input.byte()
        var r = record
        switch kind % 5 {
        case 0:
            var bytes = r.encoded
            bytes[at % bytes.count] ^= value | 1
            if let parsed = try? PeerRecord(parsing: bytes) { return parsed }
            r.signature[at % r.signature.count] ^= value | 1
        case 1:
            r.certificate = net.members[(signer + 1 + Int(value) % 3) % 4].encoded
        case 2:
            r.sequence &+= 1 + UInt64(value)
        case 3:
            if value % 2 == 0 || r.endpoints.count == PeerRecord.maxEndpoints {
                r.expiresAt &+= 1 + UInt64(value)
            } else {
                r.endpoints.append(Self.endpoint(value))
            }
        default:
            r = net.malloryRecord(endpoints: r.endpoints, sequence: r.sequence, expiresAt: r.expiresAt)
        }
        return r
    }

    /// A response to one of the node's requests: from the contact asked, unless told otherwise.
    mutating func respond(_ input: inout Input, other: Contact) {
        let pick = input.byte(), kind = input.byte(), flags = input.byte()
        guard !outstanding.isEmpty else { return }
        let request = outstanding[Int(pick) % outstanding.count]
        let body: DHTMessage.Body
        switch kind % 4 {
        case 0:
            body = .pong
        case 1:
            let everyone = world.pool + world.senders + [world.own, request.to]
            body = .nodes((0..<Int(input.byte()) % (DHTMessage.maxContacts + 1)).map { _ in
                everyone[Int(input.byte()) % everyone.count]
            })
        case 2:
            body = .storeResult(DHTMessage.StoreStatus(rawValue: input.byte() % 5)!)
        default:
            body = .value((0..<Int(input.byte()) % (DHTMessage.maxRecords + 1)).map { _ in
                let bad = input.byte() % 2 == 1
                let (record, signer) = self.record(&input)
                return bad ? mutated(record, signer: signer, &input) : record
            })
        }
        var sender = request.to
        if flags & 1 != 0 { sender = other.id == request.to.id ? world.senders[(world.senders.firstIndex(of: other)! + 1) % 4] : other }
        let id = flags & 2 != 0 ? request.id &+ 1 : request.id
        deliver(DHTMessage(requestID: id, body: body), from: sender)
    }

    /// What the node does by itself.
    mutating func control(_ input: inout Input) {
        let c = input.byte()
        var actions: [DHTAction] = []
        switch c % 4 {
        case 0, 1:
            // Time passes (up to 5 s), or the clocks jump up to ~42 h ahead; then the timers
            // run, or (c & 4) messages arrive before they do.
            let step: Duration = c % 4 == 0 ? .milliseconds(20 * Int(input.byte())) : .seconds(600 * Int(input.byte()))
            now.instant = now.instant + step
            now.unixNanoseconds += UInt64(step.nanosecondsValue)
            guard c & 4 == 0 else { return }
            node.handleTimers(now: now, random: &random, into: &actions)
            Fuzz.check(node.table.allContacts.allSatisfy { heard.contains($0.id) }, "timers added an unknown contact to the table")
            // Expired records are gone now: the count is exactly what lookups find.
            Fuzz.check(node.store.count == storedRecords(), "store.count is \(node.store.count) after expiry, holding \(storedRecords())")
        case 2:
            let target = key(&input)
            if c & 4 == 0 {
                _ = node.findNode(target, now: now.instant, into: &actions)
            } else {
                valueLookups.insert(node.findValue(target, for: .address, now: now.instant, into: &actions))
            }
        default:
            let (genuine, signer) = self.record(&input)
            let record = c & 4 != 0 ? mutated(genuine, signer: signer, &input) : genuine
            let key = key(for: signer, &input)
            let before = node.store
            node.publish(record, under: key, now: now, into: &actions)
            checkStoreChange(record, under: key, before: before, answer: nil)
        }
        check(sent: actions)
    }

    // MARK: Invariants

    /// Hands `message` to the node as if `sender`'s session delivered it, and checks what
    /// came of it.
    mutating func deliver(_ message: DHTMessage, from sender: Contact) {
        let before = node
        let solicited = outstanding.contains { $0.id == message.requestID && $0.to.id == sender.id }
        var actions: [DHTAction] = []
        node.handle(message, from: sender, now: now, into: &actions)
        heard.insert(sender.id)
        check(sent: actions)

        let known = Set(before.table.allContacts.map(\.id)).union([sender.id])
        Fuzz.check(node.table.allContacts.allSatisfy { known.contains($0.id) },
                   "the routing table learned a contact from a \(message.body.name) other than its sender")

        let replies = actions.compactMap { a -> (DHTMessage, Contact)? in
            if case .send(let m, let to) = a, !m.isRequest { (m, to) } else { nil }
        }
        guard message.isRequest else {
            Fuzz.check(replies.isEmpty, "a \(message.body.name) response was answered")
            if solicited {
                outstanding.removeAll { $0.id == message.requestID && $0.to.id == sender.id }
                return
            }
            // Never asked: the message must count for no more than hearing from the sender.
            var reference = before
            var referenceActions: [DHTAction] = []
            reference.learned(sender, now: now.instant, into: &referenceActions)
            Fuzz.check(actions == referenceActions, "an unsolicited \(message.body.name) made the node act: \(actions)")
            Fuzz.check(node.table.allContacts == reference.table.allContacts,
                       "an unsolicited \(message.body.name) changed the routing table")
            Fuzz.check(node.statistics == before.statistics && node.store.count == before.store.count
                       && node.nextDeadline() == reference.nextDeadline(),
                       "an unsolicited \(message.body.name) changed the node's state")
            return
        }

        for (reply, to) in replies {
            Fuzz.check(to == sender, "a reply to \(sender.endpoint) went to \(to.endpoint)")
            Fuzz.check(reply.requestID == message.requestID, "reply ID \(reply.requestID) for request \(message.requestID)")
        }
        let limited = node.statistics.requestsRateLimited > before.statistics.requestsRateLimited
        var answer: DHTMessage.StoreStatus?
        if limited {
            if case .store = message.body {
                Fuzz.check(replies.count == 1 && replies[0].0.body == .storeResult(.rateLimited),
                           "a rate-limited store was answered \(replies.map(\.0.body))")
                answer = .rateLimited
            } else {
                Fuzz.check(replies.isEmpty, "a rate-limited \(message.body.name) was answered")
            }
        } else {
            Fuzz.check(replies.count == 1, "a \(message.body.name) got \(replies.count) replies")
            let reply = replies[0].0.body
            switch (message.body, reply) {
            case (.ping, .pong):
                break
            case (.findNode(let target), .nodes(let contacts)), (.findValue(let target), .nodes(let contacts)):
                // The k closest the table knows and trusts to answer (by brute force here), the
                // requester left out.
                let closest = node.table.answerableContacts.filter { $0.id != sender.id }.map { ($0.id.distance(to: target), $0) }
                    .sorted { $0.0 < $1.0 }.prefix(min(node.settings.k, DHTMessage.maxContacts)).map(\.1)
                Fuzz.check(contacts == closest, "a nodes reply is not the table's closest contacts to the target")
                if case .findValue = message.body {
                    Fuzz.check(before.store.lookup(target, now: now.unixSeconds).isEmpty,
                               "findValue for a key with records stored was answered with contacts")
                }
            case (.findValue(let key), .value(let records)):
                let stored = before.store.lookup(key, now: now.unixSeconds)
                Fuzz.check(!records.isEmpty && records.allSatisfy(stored.contains), "value reply with records not stored under the key")
            case (.store, .storeResult(let status)):
                answer = status
            default:
                Fuzz.check(false, "a \(message.body.name) was answered with a \(reply.name)")
            }
        }
        if case .store(let key, let record) = message.body {
            checkStoreChange(record, under: key, before: before.store, answer: answer)
        }
    }

    /// What storing `record` under `key` did (`answer`: what the requester was told; nil
    /// when the node published it itself).
    mutating func checkStoreChange(_ record: PeerRecord, under key: NodeID, before: RecordStore, answer: DHTMessage.StoreStatus?) {
        touched.insert(key)
        let t = now.unixSeconds
        let found = node.store.lookup(key, now: t)
        let genuine = net.isGenuine(record)
        if !genuine {
            Fuzz.check(node.store.count == before.count && found == before.lookup(key, now: t),
                       "a record no member signed was stored: \(Encoding.hex(record.encoded))")
            Fuzz.check(answer == nil || answer == .invalid || answer == .rateLimited, "a forged record was answered \(answer!)")
            return
        }
        let member = world.members.firstIndex { $0.encoded == record.certificate }!
        let owned = world.memberKeys[member].contains(key)
        let fresh = record.expiresAt > t && record.expiresAt - t <= RecordStore.maxLifetimeSeconds
        if answer == .stored || answer == nil && found != before.lookup(key, now: t) {
            Fuzz.check(owned && fresh, "stored a record under a key it does not own, or expired, or too long-lived")
            Fuzz.check(found.contains(record), "a stored record is not found")
        }
        // A valid, newer record for a key with room is stored (the store holds at most two
        // certificates per key here, far below its limits).
        let newer = !before.lookup(key, now: t).contains { $0.certificate == record.certificate && $0.sequence >= record.sequence }
        if owned && fresh && newer && answer != .rateLimited {
            Fuzz.check(found.contains(record) && (answer == nil || answer == .stored),
                       "a valid newer record was refused (\(answer.map { "\($0)" } ?? "published"))")
        }
    }

    /// Everything the node asks its owner to do.
    mutating func check(sent actions: [DHTAction]) {
        for action in actions {
            switch action {
            case .send(let m, let to):
                let bytes = m.encoded
                Fuzz.check(bytes.count <= mtu, "sent a \(m.body.name) of \(bytes.count) bytes, over \(mtu)")
                Fuzz.check((try? DHTMessage(parsing: bytes)) == m, "a sent \(m.body.name) does not decode to itself")
                Fuzz.check(to.id != world.own.id, "the node sent a \(m.body.name) to itself")
                if m.isRequest { outstanding.append(Request(id: m.requestID, to: to)) }
            case .lookupFinished(let result):
                Fuzz.check(valueLookups.contains(result.id) || result.records.isEmpty,
                           "node lookup \(result.id) finished with \(result.records.count) records")
                for r in result.records {
                    Fuzz.check(world.isGenuine(r, under: result.target) && r.expiresAt > now.unixSeconds,
                               "a lookup believed a record no member signed for its key: \(Encoding.hex(r.encoded))")
                }
            }
        }
    }

    func finish() {
        let t = now.unixSeconds
        for key in touched.union(world.keys) {
            for r in node.store.lookup(key, now: t) {
                Fuzz.check(world.isGenuine(r, under: key), "the store holds a record no member signed for its key")
            }
        }
        Fuzz.check(node.table.allContacts.allSatisfy { heard.contains($0.id) }, "the table holds a contact nobody introduced")
        Fuzz.check(node.table.bucketSizes.values.allSatisfy { $0 <= node.settings.k }, "a bucket holds more than k contacts")
    }
}

extension DHTMessage.Body {
    var name: String {
        switch self {
        case .ping: "ping"
        case .pong: "pong"
        case .findNode: "findNode"
        case .nodes: "nodes"
        case .store: "store"
        case .storeResult: "storeResult"
        case .findValue: "findValue"
        case .value: "value"
        }
    }
}

// MARK: Seeds

/// Inputs in the format above, one per path worth starting from.
enum Seeds {
    static func op(_ kind: UInt8, sender: UInt8 = 0) -> UInt8 { kind | sender << 3 }

    /// A record for `signer` with one endpoint, sequence `sequence`, an hour to live.
    static func record(signer: UInt8, sequence: UInt8 = 1, endpoints: [UInt8] = [2]) -> [UInt8] {
        [signer, UInt8(endpoints.count)] + endpoints + [sequence, 12]
    }

    static var all: [(name: String, bytes: [UInt8])] {
        let net = FuzzNetwork.shared
        let raw = DHTMessage(requestID: 9, body: .findNode(target: NodeID(publicKey: net.bob.publicKey))).encoded
        let rawStore = DHTMessage(requestID: 10, body: .store(key: FuzzNetwork.recordKeys(of: net.bob)[0],
                                                              record: net.record(of: 1, endpoints: [net.bobEndpoint], sequence: 2,
                                                                                 expiresAt: net.now.unixSeconds + 600))).encoded
        return [
            ("ping", [0, op(1), 1]),
            ("find-node", [0, op(2, sender: 1), 2, 8]),
            ("raw-find-node", [0, op(0, sender: 2), UInt8(raw.count >> 8), UInt8(raw.count & 0xff)] + raw),
            ("raw-store", [0, op(0, sender: 1), UInt8(rawStore.count >> 8), UInt8(rawStore.count & 0xff)] + rawStore),
            // alice stores her record under her address key, bob asks for it.
            ("store-find-value", [0, op(4), 3] + record(signer: 0) + [0, op(3, sender: 1), 4, 0]),
            // The same record, then an older and a newer one under her node key.
            ("store-sequences", [0, op(4), 3] + record(signer: 0, sequence: 5) + [1, op(4), 4] + record(signer: 0, sequence: 4) + [1,
                                 op(4), 5] + record(signer: 0, sequence: 6) + [1]),
            // Mutated records: a flipped byte, a swapped certificate, a changed sequence and
            // expiry, mallory's record for alice's address.
            ("store-mutated", [0, op(5), 1] + record(signer: 0) + [0, 0, 40, 1, 0,
                               op(5), 2] + record(signer: 1) + [1, 0, 0, 0, 0,
                               op(5), 3] + record(signer: 2) + [2, 0, 0, 3, 0,
                               op(5), 4] + record(signer: 3) + [3, 0, 0, 2, 1,
                               op(5), 5] + record(signer: 0) + [4, 0, 0, 0, 0]),
            // carol under both her keys at 10.8.0.3 (her 814-byte certificates), then a
            // findValue for that address: the reply must still fit the MTU.
            ("carol-rekeyed-find-value", [0, op(4, sender: 2), 1] + record(signer: 2, endpoints: [1, 3, 5, 7, 9, 11, 13, 15]) + [0,
                                          op(4, sender: 3), 2] + record(signer: 3, endpoints: [1, 3, 5, 7, 9, 11, 13, 15]) + [0,
                                          op(3), 3, 4]),
            // The finding (Tests/WarrenDHTTests/FuzzRegressionTests.swift), minimised: carol's
            // two records at 10.8.0.3, no endpoints, made a 1807-byte value reply.
            ("value-reply-over-mtu", [0x00, 0x14, 0x01, 0x02, 0x5a, 0x23, 0x03, 0x08, 0x04, 0x04, 0x03, 0x00, 0x04, 0x04, 0x00,
                                      0x03, 0x04, 0x04]),
            // Two more findings: a stale store refused after the store had forgotten an
            // expired record (which `expire` then forgot again), and a value answer to a node
            // lookup's findNode taken as found records.
            ("store-count-after-refusal", [0x00, 0x14, 0x01, 0x02, 0x00, 0x01, 0x01, 0x00, 0x1c, 0x02, 0x03, 0x00, 0x05, 0x0c,
                                           0x00, 0x07, 0x05, 0x01, 0x1c, 0x03, 0x03, 0x00, 0x05, 0x0c, 0x00, 0x07, 0x00, 0x00]),
            ("value-answer-to-node-lookup", [0x00, 0x07, 0x02, 0x00, 0x06, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x01, 0x02, 0x01, 0x0c]
                + Array(repeating: [0x07, 0x00, 0x96], count: 10).joined()),
            // Answers to the base node's lookups: nodes, a genuine value, a forged value.
            ("answer-lookups", [0, op(6), 0, 1, 0, 3, 12, 13, 14,
                                op(6), 3, 3, 0, 1, 0] + record(signer: 0) + [
                                op(6), 4, 3, 0, 1, 1] + record(signer: 0) + [0, 0, 0, 2]),
            // Responses nobody asked for: from another contact, and with another request ID.
            ("unsolicited", [0, op(6, sender: 1), 0, 1, 1, 2, 12, 13, op(6), 1, 0, 2, op(6), 2, 2, 0, 3]),
            // Small buckets and rate limits: bob asks five times at once.
            ("small-rate-limited", [1] + Array(repeating: [op(1, sender: 1), 7], count: 5).joined() + [op(4, sender: 1), 8]
                + record(signer: 1) + [0]),
            // Time passes, a lookup starts and is answered, records expire, a record is published.
            ("timers", [0, op(7), 0, 50, op(7), 2, 4, op(6), 5, 1, 0, 2, 14, 15, op(7), 0, 120, op(7), 3] + record(signer: 1) + [0,
                        op(7), 1, 10]),
        ]
    }
}
