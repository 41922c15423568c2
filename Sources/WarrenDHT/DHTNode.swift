public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

/// The Kademlia node: routing table, record store and the lookups in progress, driven by
/// DHT messages from authenticated peers and by the time. Sans-I/O: it returns `DHTAction`s
/// and never sends, waits or reads a clock; the daemon and the simulator drive the same code.
public struct DHTNode: Sendable {
    public struct Settings: Sendable {
        public var k = 20
        public var alpha = 3
        public var queryTimeout: Duration = .seconds(2)
        public var bucketRefreshInterval: Duration = .seconds(900)
        /// Requests answered per peer per second, and the burst allowed.
        public var requestsPerSecond: Double = 20
        public var requestBurst: Double = 40
        /// A lookup stops waiting for a query unanswered after this node's usual response
        /// time (`ResponseTimer`, never less than `minimumStall`) and asks the next contact;
        /// the query may still answer until `queryTimeout`. Off: a lost packet or a departed
        /// node holds one of the α slots for the whole timeout.
        public var stallsSlowQueries = true
        public var minimumStall: Duration = .milliseconds(100)
        /// A routing-table entry not heard from for this long is pinged and dropped if
        /// silent (`RoutingTable.staleAfter`); nil: only for newcomers to full buckets.
        public var staleAfter: Duration? = .seconds(600)
        /// A contact is dropped after this many unanswered requests in a row when no
        /// replacement is waiting (`RoutingTable.maxFailures`).
        public var maxFailures = 3
        /// Contacts dropped for not answering that each bucket remembers and pings again,
        /// one per bucket per `bucketRefreshInterval` (`RoutingTable+Dormant`); 0: forget them.
        public var dormantPerBucket = 8
        /// Lookups running at once, in all and for any one `LookupReason`, and how many more
        /// may wait for a slot before new ones are refused (`LookupAdmission`).
        public var maxLookups = 32
        public var maxLookupsPerReason = 16
        public var maxQueuedLookups = 64
        public init() {}
    }

    public let own: Contact
    public let settings: Settings
    public private(set) var table: RoutingTable
    public private(set) var store: RecordStore
    /// Contacts other nodes name are asked only where the policy admits (never this host,
    /// a link-local or multicast address, or the overlay).
    public let endpointPolicy: EndpointPolicy
    var lookups: [UInt32: LookupTask] = [:]
    var admission: LookupAdmission
    /// Outstanding requests by request ID: whom we asked and for which lookup.
    var pending: [UInt32: PendingRequest] = [:]
    var limiters: [NodeID: TokenBucket] = [:]
    var nextRequestID: UInt32
    public private(set) var statistics = Statistics()
    public private(set) var responseTimer = ResponseTimer()

    struct LookupTask: Sendable {
        var lookup: Lookup
        let wantsValue: Bool
        let reason: LookupReason
        let startedAt: Instant
        var records: [PeerRecord] = []
        var foundHops = 0
        /// A record to store at the k closest once they are known (publishing).
        var toStore: PeerRecord?
        /// When one of its queries next stalls or times out.
        var wakeAt: Instant?
    }

    struct PendingRequest: Sendable {
        let contact: Contact
        let lookupID: UInt32?
        let sentAt: Instant
        let deadline: Instant
    }

    public struct Statistics: Sendable, Equatable, Codable {
        public var lookupsStarted = 0
        /// Lookups that waited for a slot, and those refused because too many waited.
        public var lookupsQueued = 0
        public var lookupsRefused = 0
        public var lookupsSucceeded = 0
        public var requestsAnswered = 0
        public var requestsRateLimited = 0
        public var recordsRefused = 0
    }

    public init(own: Contact, authority: AuthorityCertificate, settings: Settings = Settings(), random: inout some RandomSource) {
        self.own = own
        self.settings = settings
        table = RoutingTable(own: own.id, k: settings.k, staleAfter: settings.staleAfter, maxFailures: settings.maxFailures,
                             maxDormant: settings.dormantPerBucket)
        store = RecordStore(authority: authority)
        admission = LookupAdmission(maxRunning: settings.maxLookups, maxRunningPerReason: settings.maxLookupsPerReason,
                                    maxQueued: settings.maxQueuedLookups)
        endpointPolicy = EndpointPolicy(overlay: [authority.body.ipv4.network, authority.body.ipv6.network])
        nextRequestID = random.next()
    }

    // MARK: Inputs

    /// A contact we have a session with (a bootstrap node, any peer): worth knowing.
    public mutating func learned(_ contact: Contact, now: Instant, into actions: inout [DHTAction]) {
        if case .pingOldest(let oldest) = table.seen(contact, now: now) {
            send(.ping, to: oldest, lookupID: nil, now: now, into: &actions)
        }
    }

    /// A DHT message from `sender`, whose identity the session authenticated.
    public mutating func handle(_ message: DHTMessage, from sender: Contact, now: Moment, into actions: inout [DHTAction]) {
        learned(sender, now: now.instant, into: &actions)
        if message.isRequest {
            answer(message, from: sender, now: now, into: &actions)
        } else {
            handleResponse(message, from: sender, now: now, into: &actions)
        }
    }

    /// Expires queries, advances lookups, refreshes stale buckets and drops expired records.
    public mutating func handleTimers(now: Moment, random: inout some RandomSource, into actions: inout [DHTAction]) {
        // In request-ID order, not the dictionaries' (per-process, randomly seeded) order, so
        // the same inputs give the same actions: a replayed run is the same run.
        for id in pending.filter({ now.instant >= $0.value.deadline }).keys.sorted() {
            guard let request = pending.removeValue(forKey: id) else { continue }
            table.failed(request.contact.id)
            if let l = request.lookupID { lookups[l]?.lookup.failed(request.contact.id) }
        }
        // Only lookups with a query to stall or time out: answers advance theirs as they
        // come, and one not due would do nothing but cost (at 10,000 nodes, a sixth of the run).
        for id in lookups.keys.sorted() where lookups[id]?.wakeAt.map({ now.instant >= $0 }) ?? true {
            advance(id, now: now.instant, into: &actions)
        }
        for contact in table.staleEntriesToProbe(now: now.instant) + table.dormantToRetry(now: now.instant, interval: settings.bucketRefreshInterval) {
            send(.ping, to: contact, lookupID: nil, now: now.instant, into: &actions)
        }
        for bucket in table.bucketsNeedingRefresh(now: now.instant, interval: settings.bucketRefreshInterval) {
            table.touch(bucket: bucket, now: now.instant)
            _ = findNode(Self.randomID(inBucket: bucket, near: own.id, random: &random), now: now.instant, into: &actions)
        }
        store.expire(now: now.unixSeconds)
        // A full bucket is the same as none: forget limiters of peers that went quiet.
        limiters = limiters.filter { !$0.value.isFull(now: now.instant) }
    }

    public func nextDeadline() -> Instant? {
        // Asked after every event: no arrays, and each lookup read in place, not copied.
        var deadline: Instant?
        func consider(_ instant: Instant?) {
            if let instant, deadline.map({ instant < $0 }) ?? true { deadline = instant }
        }
        for request in pending.values { consider(request.deadline) }
        for i in lookups.values.indices { consider(lookups.values[i].wakeAt) }
        return deadline
    }

    // MARK: Lookups

    /// Starts a lookup for the nodes closest to `target` (joining, refreshing a bucket).
    /// Like every lookup, it may wait for a slot or be refused (`LookupAdmission`): then it
    /// finishes at once, having found nothing.
    public mutating func findNode(_ target: NodeID, for reason: LookupReason = .maintenance, now: Instant,
                                  into actions: inout [DHTAction]) -> UInt32 {
        start(target, wantsValue: false, toStore: nil, reason: reason, now: now, into: &actions)
    }

    /// Starts a lookup for the records under `key`, for `reason`.
    public mutating func findValue(_ key: NodeID, for reason: LookupReason, now: Instant, into actions: inout [DHTAction]) -> UInt32 {
        findValue(key, for: reason, alsoAsking: [], now: now, into: &actions)
    }

    /// The same, also asking `contacts` at once, wherever they are from the key: a node's
    /// rendezvous nodes hold the records of every member that uses them
    /// (`store(_:under:at:)`), even when the nodes closest to the key cannot be reached.
    public mutating func findValue(_ key: NodeID, for reason: LookupReason, alsoAsking contacts: [Contact], now: Instant,
                                   into actions: inout [DHTAction]) -> UInt32 {
        let id = start(key, wantsValue: true, toStore: nil, reason: reason, now: now, into: &actions)
        guard lookups[id] != nil else { return id }
        for contact in contacts where contact.id != own.id && !pending.values.contains(where: { $0.lookupID == id && $0.contact.id == contact.id }) {
            send(.findValue(key: key), to: contact, lookupID: id, now: now, into: &actions)
        }
        return id
    }

    /// Stores `record` at the k nodes closest to `key` (found by a lookup first), and here if
    /// we are among them.
    @discardableResult
    public mutating func publish(_ record: PeerRecord, under key: NodeID, now: Moment, into actions: inout [DHTAction]) -> UInt32 {
        try? store.store(record, under: key, from: own.id, now: now.unixSeconds)
        return start(key, wantsValue: false, toStore: record, reason: .publish, now: now.instant, into: &actions)
    }

    /// Stores `record` under `key` at `contacts` at once, without a lookup first (a node's
    /// own record at its rendezvous nodes: every member reaches them, so a lookup that asks
    /// them finds the record even while the publishing lookup still waits for a closer
    /// contact that never answers).
    public mutating func store(_ record: PeerRecord, under key: NodeID, at contacts: [Contact], now: Instant,
                               into actions: inout [DHTAction]) {
        for contact in contacts where contact.id != own.id {
            send(.store(key: key, record: record), to: contact, lookupID: nil, now: now, into: &actions)
        }
    }

    private mutating func start(_ target: NodeID, wantsValue: Bool, toStore: PeerRecord?, reason: LookupReason, now: Instant,
                                into actions: inout [DHTAction]) -> UInt32 {
        let request = LookupAdmission.Request(id: takeRequestID(), target: target, wantsValue: wantsValue, toStore: toStore,
                                              reason: reason)
        switch admission.admit(request) {
        case .start:
            begin(request, now: now, into: &actions)
        case .queued:
            statistics.lookupsQueued += 1
        case .refused:
            statistics.lookupsRefused += 1
            actions.append(.lookupFinished(LookupResult(id: request.id, target: target, records: [], closest: [], hops: 0,
                                                        queries: 0, duration: .zero)))
        }
        return request.id
    }

    /// Runs a lookup `admission` let start.
    private mutating func begin(_ request: LookupAdmission.Request, now: Instant, into actions: inout [DHTAction]) {
        statistics.lookupsStarted += 1
        table.touch(lookingUp: request.target, now: now)
        let seeds = table.closest(to: request.target, count: settings.k)
        var task = LookupTask(lookup: Lookup(target: request.target, seeds: seeds, k: settings.k, alpha: settings.alpha,
                                             timeout: settings.queryTimeout),
                              wantsValue: request.wantsValue, reason: request.reason, startedAt: now)
        task.toStore = request.toStore
        lookups[request.id] = task
        advance(request.id, now: now, into: &actions)
    }

    /// Sends the next queries of lookup `id`, or finishes it.
    private mutating func advance(_ id: UInt32, now: Instant, into actions: inout [DHTAction]) {
        // Taken out while it changes: a copy that shared its arrays with the table's would
        // copy them all again at the first change.
        guard var task = lookups.removeValue(forKey: id) else { return }
        task.lookup.expire(now: now)
        let found = task.wantsValue && !task.records.isEmpty
        if found || task.lookup.isFinished {
            finish(id, task, now: now, into: &actions)
            return
        }
        if settings.stallsSlowQueries {
            task.lookup.stallAfter = responseTimer.stallAfter(floor: settings.minimumStall, ceiling: settings.queryTimeout)
        }
        let queries = task.lookup.next(now: now)
        task.wakeAt = task.lookup.nextWakeup(after: now)
        lookups[id] = task
        for contact in queries {
            let body: DHTMessage.Body = task.wantsValue ? .findValue(key: task.lookup.target) : .findNode(target: task.lookup.target)
            send(body, to: contact, lookupID: id, now: now, into: &actions)
        }
        if queries.isEmpty, task.lookup.nextDeadline == nil {
            // Nobody left to ask and nothing outstanding.
            lookups[id] = nil
            finish(id, task, now: now, into: &actions)
        }
    }

    private mutating func finish(_ id: UInt32, _ task: LookupTask, now: Instant, into actions: inout [DHTAction]) {
        for (rid, request) in pending where request.lookupID == id { pending[rid] = nil }
        let closest = task.lookup.closest
        if let record = task.toStore {
            for contact in closest { send(.store(key: task.lookup.target, record: record), to: contact, lookupID: nil, now: now, into: &actions) }
        }
        let succeeded = task.wantsValue ? !task.records.isEmpty : !closest.isEmpty
        if succeeded { statistics.lookupsSucceeded += 1 }
        let hops = task.wantsValue ? task.foundHops : (closest.first.flatMap { task.lookup.hops(to: $0.id) }.map { $0 + 1 } ?? 0)
        actions.append(.lookupFinished(LookupResult(id: id, target: task.lookup.target, records: task.records, closest: closest,
                                                    hops: hops, queries: task.lookup.queriesSent,
                                                    duration: now.since(task.startedAt))))
        for request in admission.finished(task.reason) { begin(request, now: now, into: &actions) }
    }

    // MARK: Requests and responses

    private mutating func answer(_ message: DHTMessage, from sender: Contact, now: Moment, into actions: inout [DHTAction]) {
        var bucket = limiters[sender.id] ?? TokenBucket(capacity: settings.requestBurst, perSecond: settings.requestsPerSecond, now: now.instant)
        let allowed = bucket.take(now: now.instant)
        limiters[sender.id] = bucket
        guard allowed else {
            statistics.requestsRateLimited += 1
            if case .store = message.body {
                actions.append(.send(DHTMessage(requestID: message.requestID, body: .storeResult(.rateLimited)), to: sender))
            }
            return
        }
        statistics.requestsAnswered += 1
        let reply: DHTMessage.Body
        switch message.body {
        case .ping:
            reply = .pong
        case .findNode(let target):
            reply = .nodes(closestContacts(to: target, excluding: sender.id))
        case .findValue(let key):
            let records = store.lookup(key, now: now.unixSeconds)
            let fitting = Self.fittingOnePacket(records)
            reply = fitting.isEmpty ? .nodes(closestContacts(to: key, excluding: sender.id)) : .value(fitting)
        case .store(let key, let record):
            do {
                try store.store(record, under: key, from: sender.id, now: now.unixSeconds)
                reply = .storeResult(.stored)
            } catch {
                statistics.recordsRefused += 1
                switch error {
                case .staleSequence: reply = .storeResult(.stale)
                case .storageFull: reply = .storeResult(.full)
                default: reply = .storeResult(.invalid)
                }
            }
        case .pong, .nodes, .storeResult, .value:
            return
        }
        actions.append(.send(DHTMessage(requestID: message.requestID, body: reply), to: sender))
    }

    /// The first of `records` (newest certificate first), at most `maxRecords`, whose value
    /// reply fits `DHTMessage.maxEncodedBytes`.
    static func fittingOnePacket(_ records: [PeerRecord]) -> [PeerRecord] {
        var size = 7  // kind, type, request ID, count
        var fitting: [PeerRecord] = []
        for record in records where fitting.count < DHTMessage.maxRecords {
            let n = 2 + record.encoded.count
            guard size + n <= DHTMessage.maxEncodedBytes else { continue }
            size += n
            fitting.append(record)
        }
        return fitting
    }

    private func closestContacts(to target: NodeID, excluding requester: NodeID) -> [Contact] {
        Array(table.closest(to: target, count: settings.k + 1).filter { $0.id != requester }.prefix(min(settings.k, DHTMessage.maxContacts)))
    }

    private mutating func handleResponse(_ message: DHTMessage, from sender: Contact, now: Moment, into actions: inout [DHTAction]) {
        // Only answers to our own questions, from the node we asked, count.
        guard let request = pending[message.requestID], request.contact.id == sender.id else { return }
        pending[message.requestID] = nil
        responseTimer.add(now.instant.since(request.sentAt))
        guard let lookupID = request.lookupID, var task = lookups.removeValue(forKey: lookupID) else { return }
        switch message.body {
        case .nodes(let contacts):
            task.lookup.answered(by: sender.id, with: contacts.filter { $0.id != own.id && endpointPolicy.admits($0.endpoint) })
        case .value(let records) where task.wantsValue:
            // A record is believed only if it would be stored: signed, certified, owning the key.
            // (A value answer to a node lookup's findNode is a wrong answer: below.)
            let valid = records.filter { (try? store.validate($0, under: task.lookup.target, now: now.unixSeconds)) != nil }
            task.lookup.answered(by: sender.id, with: [])
            if !valid.isEmpty {
                task.records = valid
                task.foundHops = (task.lookup.hops(to: sender.id) ?? 0) + 1
            }
        default:
            task.lookup.failed(sender.id)
        }
        lookups[lookupID] = task
        advance(lookupID, now: now.instant, into: &actions)
    }

    // MARK: Helpers

    private mutating func send(_ body: DHTMessage.Body, to contact: Contact, lookupID: UInt32?, now: Instant,
                               into actions: inout [DHTAction]) {
        let id = takeRequestID()
        pending[id] = PendingRequest(contact: contact, lookupID: lookupID, sentAt: now, deadline: now + settings.queryTimeout)
        actions.append(.send(DHTMessage(requestID: id, body: body), to: contact))
    }

    private mutating func takeRequestID() -> UInt32 {
        nextRequestID &+= 1
        return nextRequestID
    }

    /// A random ID that falls in bucket `bucket` of `own`'s table: same first `bucket` bits,
    /// the next one flipped, the rest random.
    static func randomID(inBucket bucket: Int, near own: NodeID, random: inout some RandomSource) -> NodeID {
        var raw = Key32()
        raw.withUnsafeMutableBytes { random.fill($0) }
        own.raw.withUnsafeBytes { o in
            raw.withUnsafeMutableBytes { r in
                for bit in 0...bucket {
                    let byte = bit / 8, mask = UInt8(0x80) >> UInt8(bit % 8)
                    let ownBit = o[byte] & mask
                    let want = bit == bucket ? (ownBit ^ mask) : ownBit
                    r[byte] = (r[byte] & ~mask) | want
                }
            }
        }
        return NodeID(raw: raw)
    }
}
