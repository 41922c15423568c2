import Logging
import WarrenCrypto
import WarrenLinux
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire
import FoundationEssentials

extension Daemon {
    enum Token: UInt64 { case queue, signals, control, beacons }

    static func moment() -> Moment {
        Moment(instant: MonotonicClock.now(), unixNanoseconds: WallClock.nowUnixNanoseconds())
    }

    /// The control thread: handshakes, timers, notices from the packet threads and status
    /// requests, until SIGTERM or SIGINT.
    func runControlLoop() {
        guard let poller = try? Poller(maxEvents: 8),
              (try? poller.add(queue.wakeup.fileDescriptor, token: Token.queue.rawValue)) != nil,
              (try? poller.add(signals.fileDescriptor, token: Token.signals.rawValue)) != nil,
              (try? poller.add(control.fileDescriptor, token: Token.control.rawValue)) != nil else {
            logger.critical("cannot set up the control loop's poller")
            return
        }
        if let beaconSocket, (try? poller.add(beaconSocket.fileDescriptor, token: Token.beacons.rawValue)) == nil {
            logger.error("cannot listen for LAN beacons: the control loop's poller refused their socket")
        }
        var actions: [SessionAction] = []
        node.manager.start(now: Self.moment(), into: &actions)
        startDHT(now: Self.moment(), into: &actions)
        perform(&actions)
        while true {
            let now = Self.moment()
            let deadline = node.nextDeadline(after: now.instant)
            let waitMs = Int32(clamping: (deadline.since(now.instant).nanosecondsValue + 999_999) / 1_000_000)
            let ready = (try? poller.wait(timeoutMilliseconds: max(waitMs, 1))) ?? 0
            for i in 0..<ready {
                switch Token(rawValue: poller.token(at: i)) {
                case .signals:
                    while let signal = try? signals.next() {
                        if signal == .hangup {
                            logger.notice("SIGHUP: configuration reload is not supported yet; restart to apply changes")
                        } else {
                            logger.info("received \(signal), shutting down")
                            return
                        }
                    }
                case .queue:
                    for event in queue.drain() { handle(event, into: &actions) }
                case .control:
                    for request in control.takeRequests() { answer(request, into: &actions) }
                case .beacons:
                    receiveBeacons(now: Self.moment())
                case nil:
                    break
                }
            }
            let tick = Self.moment()
            node.manager.handleTimers(now: tick, into: &actions)
            dhtTimers(now: tick, into: &actions)
            netCheckTimers(now: tick, into: &actions)
            candidateTimers(now: tick, into: &actions)
            lanTimers(now: tick)
            pingTimers(now: tick, into: &actions)
            relayTimers(now: tick, into: &actions)
            perform(&actions)
        }
    }

    func handle(_ event: ControlEvent, into actions: inout [SessionAction]) {
        let now = Self.moment()
        switch event {
        case .handshake(let bytes, let path):
            if let reason = node.manager.handleHandshake(bytes, from: path, now: now, into: &actions) { drops.count(reason) }
        case .hold(let packet, let link):
            node.manager.hold(packet: packet, for: link, now: now, into: &actions)
        case .confirmed(let keypair):
            node.manager.confirmed(keypair, now: now, into: &actions)
        case .roamed(let link, let endpoint):
            node.manager.roamed(link, to: endpoint)
            logger.info("peer moved", metadata: ["peer": "\(link.name)", "endpoint": "\(endpoint)"])
        case .control(let bytes, let link, let path):
            handleControl(bytes, from: link, path: path, now: now, into: &actions)
        case .unroutable(let address, let packet):
            resolve(address, packet: packet, now: now, into: &actions)
        case .stun(let bytes, let source):
            handleSTUN(bytes, from: source, now: now, into: &actions)
        }
    }

    /// Republishes the routing snapshot if anything changed, then sends and logs. In that
    /// order: a handshake response must not leave before the packet threads can decrypt what
    /// the initiator sends the moment it arrives.
    func perform(_ actions: inout [SessionAction]) {
        if node.manager.routingVersion != publishedVersion {
            publishedVersion = node.manager.routingVersion
            snapshots.publish(node.manager.snapshot(now: MonotonicClock.now()))
        }
        publishForwarding()
        var silent: [Key32] = []
        for action in actions {
            switch action {
            case .send(let bytes, let endpoint):
                let sent = bytes.withUnsafeBytes { (try? socket.send($0, to: endpoint)) ?? false }
                if !sent { drops.count(.sendFailed) }
            case .established(let peer, let path, let isRekey):
                var metadata: Logger.Metadata = ["peer": "\(peer)", "endpoint": "\(path.endpoint)"]
                if path.isRelayed { metadata["relay channel"] = "\(path.channel)" }
                if isRekey {
                    logger.debug("keys renewed", metadata: metadata)
                } else {
                    logger.info("session established", metadata: metadata)
                }
            case .refused(let refusal, let notLogged):
                var metadata: Logger.Metadata = [
                    "peer": "\(refusal.name ?? refusal.publicKey ?? "unknown")", "endpoint": "\(refusal.endpoint)",
                    "reason": "\(refusal.reason)",
                ]
                if notLogged > 0 { metadata["count"] = "\(notLogged) refusals since the last line not logged" }
                logger.warning("peer refused", metadata: metadata)
            case .unanswered(let publicKey):
                silent.append(publicKey)
            case .gaveUp(let peer):
                logger.notice("no handshake response, giving up for now", metadata: ["peer": "\(peer)"])
            }
        }
        actions.removeAll(keepingCapacity: true)
        guard !silent.isEmpty else { return }
        // The lookups send DHT requests: actions of their own, performed in turn.
        let now = Self.moment()
        for publicKey in silent { lookUpWhereabouts(of: publicKey, now: now, into: &actions) }
        perform(&actions)
    }

    /// A request the control socket's thread read; answered now or when its work ends.
    func answer(_ request: ControlRequest, into actions: inout [SessionAction]) {
        let words = request.line.trimmingCharacters(in: .whitespaces).split(separator: " ")
        switch (words.first, words.count) {
        case ("status", 1):
            request.respond((try? JSONEncoder.sorted.encode(statusReport())).map(Array.init) ?? Array("{}".utf8))
        case ("lookup", 2):
            // Answered when the lookup ends (see `perform(_:now:into:)`).
            guard let address = IPv4Address(words[1]) else {
                request.respond(Array("{\"error\":\"not an IPv4 address\"}".utf8))
                return
            }
            startLookup(address, for: request, now: Self.moment(), into: &actions)
        case ("ping", 3):
            // Answered when every probe came back or the last had 2 s to.
            startPing(String(words[1]), count: Int(words[2]) ?? 3, for: request, now: Self.moment(), into: &actions)
        case ("netcheck", 1):
            // Answered when every server answered or the probe timed out.
            startNetCheck(for: request, now: Self.moment(), into: &actions)
        default:
            request.respond(Array("{\"error\":\"unknown request\"}".utf8))
        }
    }

    func statusReport() -> StatusReport {
        let body = certificate.body
        var dropCounts: [String: UInt64] = [:]
        for reason in DropReason.allCases where drops[reason] > 0 { dropCounts[reason.description] = drops[reason] }
        let networks = LocalAddresses.networks(excludingInterface: tun.name)
        var peers = node.manager.status(now: MonotonicClock.now())
        for i in peers.indices where peers[i].path == nil {
            guard let endpoint = peers[i].endpoint.flatMap({ Endpoint($0) }) else { continue }
            peers[i].path = networks.contains { $0.contains(endpoint.address) } ? "LAN" : "direct"
        }
        return StatusReport(name: certificate.name, publicKey: KeyText.publicKey(certificate.publicKey),
                            interface: tun.name,
                            addresses: [body.ipv4.description] + (overlayIPv6 ? [body.ipv6.description] : []),
                            ipv6Disabled: !overlayIPv6,
                            listenPort: socket.localPort, peers: peers,
                            refusals: node.manager.recentRefusals, drops: dropCounts, dht: dhtStatus(), relay: relayStatus())
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return e
    }
}
