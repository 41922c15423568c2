import Logging
import WarrenCrypto
import WarrenLinux
import WarrenNode
import WarrenSession
import WarrenWire

extension Daemon {
    enum Token: UInt64 { case queue, signals, control, beacons }

    /// How often the host's addresses are read again for the node (netlink has no
    /// subscription here yet); requests that report them read them first.
    static let hostCheckInterval: Duration = .seconds(2)

    static func moment() -> Moment {
        Moment(instant: MonotonicClock.now(), unixNanoseconds: WallClock.nowUnixNanoseconds())
    }

    /// The control thread: hands the node what arrives and wakes it when it asks, carrying
    /// out what it decides, until SIGTERM or SIGINT.
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
        var actions: [NodeAction] = []
        noticeHostChanges(now: Self.moment(), into: &actions)
        node.start(savedContacts: tableFile.load(), now: Self.moment(), into: &actions)
        perform(&actions)
        while true {
            let now = Self.moment()
            let deadline = min(node.nextDeadline(after: now.instant), nextHostCheck)
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
                    for event in queue.drain() { node.handle(.packet(event), now: Self.moment(), into: &actions) }
                case .control:
                    for request in control.takeRequests() { answer(request, into: &actions) }
                case .beacons:
                    receiveBeacons(into: &actions)
                case nil:
                    break
                }
            }
            let tick = Self.moment()
            noticeHostChanges(now: tick, into: &actions)
            node.handleTimeout(now: tick, into: &actions)
            perform(&actions)
        }
    }

    /// Tells the node when the host's addresses or the STUN servers' addresses changed.
    func noticeHostChanges(now: Moment, force: Bool = false, into actions: inout [NodeAction]) {
        if force || now.instant >= nextHostCheck {
            nextHostCheck = now.instant + Self.hostCheckInterval
            let addresses = HostAddresses.read(excludingInterface: tun.name)
            if addresses != hostAddresses {
                hostAddresses = addresses
                node.handle(.localAddresses(addresses), now: now, into: &actions)
            }
        }
        if let (generation, answers) = serverNames.answers(after: serverNamesGeneration) {
            serverNamesGeneration = generation
            node.handle(.stunServerAddresses(answers), now: now, into: &actions)
        }
    }

    /// A request the control socket's thread read: malformed ones are answered here, the
    /// rest by the node, now or when their work ends.
    func answer(_ request: ControlRequest, into actions: inout [NodeAction]) {
        switch NodeRequest.parse(request.line) {
        case .failure(let error):
            request.respond(error.json)
        case .success(let parsed):
            let now = Self.moment()
            noticeHostChanges(now: now, force: true, into: &actions)
            nextRequestID += 1
            requests[nextRequestID] = request
            node.handle(.request(nextRequestID, parsed), now: now, into: &actions)
        }
    }

    /// Carries out the node's actions, in order.
    func perform(_ actions: inout [NodeAction]) {
        for action in actions {
            switch action {
            case .send(let bytes, let endpoint):
                let sent = bytes.withUnsafeBytes { (try? socket.send($0, to: endpoint)) ?? false }
                if !sent { drops.count(.sendFailed) }
            case .publishRouting(let snapshot):
                snapshots.publish(snapshot)
            case .publishForwarding(let bindings):
                forwarding.publish(bindings)
            case .publishCircuitRelay(let relay):
                circuitRelay.publish(relay)
            case .publishCircuitSending(let circuits):
                circuitSending.publish(circuits)
            case .publishCircuitEnds(let circuits):
                circuitEnds.publish(circuits)
            case .writeTUN(let packet):
                // Room for the virtio header the offloading TUN device expects in front.
                var buffer = [UInt8](repeating: 0, count: VirtioNetHeader.byteCount) + packet
                _ = buffer.withUnsafeMutableBytes {
                    try? tun.write(packetIn: $0, offset: VirtioNetHeader.byteCount, length: packet.count)
                }
            case .joinBeaconGroup(let link):
                joinBeaconGroup(on: link)
            case .sendBeacon(let bytes, let link):
                sendBeacon(bytes, on: link)
            case .saveContacts(let contacts):
                do {
                    try tableFile.save(contacts)
                } catch {
                    logger.warning("cannot save DHT contacts", metadata: .init([.reason: "\(error)"]))
                }
            case .saveGuards(let guards):
                do {
                    try CircuitStateFile(guardsIn: config.stateDirectory, interface: tun.name).save(guards)
                } catch {
                    logger.warning("cannot save circuit guards", metadata: .init([.reason: "\(error)"]))
                }
            case .saveDirectory(let directory):
                do {
                    try CircuitStateFile(directoryIn: config.stateDirectory, interface: tun.name).save(directory)
                } catch {
                    logger.warning("cannot save the relay directory", metadata: .init([.reason: "\(error)"]))
                }
            case .reply(let id, let reply):
                requests.removeValue(forKey: id)?.respond(reply.json)
            case .log(let event):
                logger.log(level: event.level.loggerLevel, "\(event.message)", metadata: Logger.Metadata(event.fields))
            }
        }
        actions.removeAll(keepingCapacity: true)
    }

    var tableFile: RoutingTableFile { RoutingTableFile(directory: config.stateDirectory, interface: tun.name) }
}
