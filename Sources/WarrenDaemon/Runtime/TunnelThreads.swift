import Synchronization
import WarrenCircuit
import WarrenCrypto
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// The two packet threads. Outbound: TUN → route → encrypt → sendmmsg. Inbound: recvmmsg →
/// decrypt → check → TUN, and on a relay, recvmmsg → rewrite the envelope → sendmmsg. Each
/// owns its buffers (allocated once, here), reads the routing snapshot once per batch, and
/// hands anything unusual to the control thread.
struct TunnelThreads: Sendable {
    let tun: TunDevice
    let socket: UDPSocket
    let snapshots: SnapshotBox<RoutingSnapshot>
    let forwarding: SnapshotBox<RelayForwarding>
    let circuitRelay: SnapshotBox<LockedCircuitRelay?>
    let circuitSending: SnapshotBox<CircuitSending>
    let circuitEnds: SnapshotBox<CircuitEnds>
    let queue: ControlQueue
    let drops: DropCounters
    let stop: EventFD
    let mtu: Int
    /// The network's IPv6 ULA: unknown addresses in it are resolved by their embedded IPv4.
    let overlayIPv6: IPPrefix
    /// This node's handshake key, which the inbound thread checks mac1 and cookies against.
    let handshakeKey: Key32

    static let batchSize = 64

    /// Room for the transport header in front of a packet and the tag after it; or for the
    /// circuit message a packet becomes, if that is longer.
    var slotBytes: Int { DataPath.payloadOffset + max(mtu, CircuitSending.largestMessage) + TransportHeader.tagByteCount }

    func runOutbound() {
        let slots = PacketSlots(count: Self.batchSize, slotBytes: slotBytes)
        let batch = DatagramSendBatch(capacity: Self.batchSize, for: socket)
        // One read may return a 64 KB TCP super-packet; it is cut into `slots` from here.
        let staging = UnsafeMutableRawBufferPointer.allocate(byteCount: TunDevice.maxOffloadReadBytes, alignment: 64)
        defer { staging.deallocate() }
        guard let wait = waiter(for: tun.fileDescriptor) else { return }
        while wait() {
            var filled = 0
            while let count = try? tun.read(into: staging), count > 0 {
                guard let header = VirtioNetHeader(UnsafeRawBufferPointer(staging)) else {
                    drops.count(.malformed)
                    continue
                }
                let packet = UnsafeRawBufferPointer(rebasing: staging[VirtioNetHeader.byteCount..<count])
                var attempt = segment(packet, header: header, into: slots, from: filled)
                if case .failure(.tooManySegments) = attempt, filled > 0 {
                    send(slots, count: filled, batch: batch)
                    filled = 0
                    attempt = segment(packet, header: header, into: slots, from: 0)
                }
                switch attempt {
                case .success(let n): filled += n
                case .failure: drops.count(.malformed)
                }
                if filled == slots.count {
                    send(slots, count: filled, batch: batch)
                    filled = 0
                }
            }
            if filled > 0 { send(slots, count: filled, batch: batch) }
        }
    }

    /// A function that blocks until `fd` is readable (true) or the daemon is stopping (false).
    private func waiter(for fd: Int32) -> (() -> Bool)? {
        guard let poller = try? Poller(maxEvents: 2),
              (try? poller.add(fd, token: 0)) != nil,
              (try? poller.add(stop.fileDescriptor, token: 1)) != nil else { return nil }
        return {
            while true {
                guard let ready = try? poller.wait(timeoutMilliseconds: -1) else { continue }
                return !(0..<ready).contains { poller.token(at: $0) == 1 }
            }
        }
    }

    /// Cuts one packet from the TUN device into slots `first...`, each packet at
    /// `DataPath.payloadOffset` so the transport header can be written in front of it.
    private func segment(_ packet: UnsafeRawBufferPointer, header: VirtioNetHeader, into slots: PacketSlots,
                         from first: Int) -> Result<Int, TCPSegmenter.Failure> {
        TCPSegmenter.segment(packet, header: header, maxSegments: slots.count - first, offset: DataPath.payloadOffset,
                             output: { slots.slot(first + $0) },
                             setLength: { slots.setLength(DataPath.payloadOffset + $1, at: first + $0) })
    }

    /// Encrypts slots `0..<count` for their peers and sends them with one sendmmsg.
    private func send(_ slots: PacketSlots, count: Int, batch: DatagramSendBatch) {
        let snapshot = snapshots.read()
        let circuits = circuitSending.read()
        let now = MonotonicClock.now()
        for i in 0..<count {
            let buffer = slots.slot(i)
            let payload = slots.length(i) - DataPath.payloadOffset
            var verdict = DataPath.outbound(buffer, count: payload, snapshot: snapshot, now: now)
            if case .viaCircuit = verdict, let sealed = circuits.seal(buffer, count: payload, snapshot: snapshot, now: now) {
                verdict = sealed
            }
            switch verdict {
            case .send(let offset, let length, let endpoint, _):
                _ = batch.append(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length]), to: endpoint)
            case .needsSession(let link):
                let packet = Array(UnsafeRawBufferPointer(rebasing: buffer[DataPath.payloadOffset..<DataPath.payloadOffset + payload]))
                queue.post(.hold(packet, link: link))
            case .viaCircuit:
                queue.post(.viaCircuit(Array(UnsafeRawBufferPointer(rebasing: buffer[DataPath.payloadOffset..<DataPath.payloadOffset + payload]))))
            case .drop(.noRoute):
                // Possibly a member we have not met: the control thread asks the DHT.
                let packet = UnsafeRawBufferPointer(rebasing: buffer[DataPath.payloadOffset..<DataPath.payloadOffset + payload])
                switch IPPacket.destination(packet) {
                case .v4(let destination)?:
                    queue.post(.unroutable(destination, packet: Array(packet)))
                case let destination? where OverlayAddressing.embeddedIPv4(in: destination, network: overlayIPv6) != nil:
                    queue.post(.unroutable(OverlayAddressing.embeddedIPv4(in: destination, network: overlayIPv6)!, packet: Array(packet)))
                default:
                    drops.count(.noRoute)
                }
            case .drop(let reason):
                drops.count(reason)
            }
        }
        if !batch.isEmpty { flush(batch) }
    }

    func runInbound() {
        // Slots hold a whole 64 KB packet: segments of one TCP flow are joined in place.
        let batch = DatagramReceiveBatch(capacity: Self.batchSize, datagramBytes: DataPath.payloadOffset + TunDevice.maxOffloadReadBytes)
        var coalescer = TCPCoalescer(capacity: Self.batchSize)
        var admission = HandshakeAdmission(ownHandshakeKey: handshakeKey, random: SystemRandom())
        let outgoing = DatagramSendBatch(capacity: Self.batchSize, for: socket)
        var sink = InboundThreadSink(threads: self, outgoing: outgoing,
                                     rooms: PacketSlots(count: Self.batchSize, slotBytes: InboundReceiver.roomBytes))
        guard let wait = waiter(for: socket.fileDescriptor) else { return }
        while wait() {
            while true {
                guard let count = try? socket.receive(into: batch), count > 0 else { break }
                let circuitRelay = circuitRelay.read()
                let receiver = InboundReceiver(snapshot: snapshots.read(), relay: forwarding.read(),
                                               circuits: circuitRelay?.circuitSwitch ?? .empty, circuitRelay: circuitRelay,
                                               sending: circuitSending.read(), ends: circuitEnds.read(), now: MonotonicClock.now())
                for i in 0..<count {
                    guard !batch.isTruncated(i), let source = batch.endpoint(i) else {
                        drops.count(.malformed)
                        continue
                    }
                    receiver.receive(entry: batch.bytes(i), slot: batch.slots.slot(i), segmentBytes: batch.segmentBytes(i),
                                     from: source, coalescer: &coalescer, admission: &admission, into: &sink)
                }
                if !outgoing.isEmpty { flush(outgoing) }
                deliver(&coalescer)
                sink.wakeControlThread()
                if count < batch.capacity { break }
            }
        }
    }

    /// Writes the coalescer's packets to the TUN device.
    fileprivate func deliver(_ coalescer: inout TCPCoalescer) {
        coalescer.drain { buffer, offset, length, header in
            let written = try? tun.write(packetIn: buffer, offset: offset, length: length, header: header)
            if written != true { drops.count(.tunFull) }
        }
    }

    /// Sends a batch, counting what the kernel dropped.
    fileprivate func flush(_ batch: DatagramSendBatch) {
        let result = socket.flush(batch)
        if result.dropped > 0 { drops.count(.sendFailed, times: UInt64(result.dropped)) }
    }
}

/// The inbound thread's outlets: its socket for the envelopes and circuit messages it relays
/// and the cookie replies it sends (a batch at a time, circuit messages sealed in a room per
/// place in the batch), the TUN device, the control queue (the control
/// thread woken once a batch) and the drop counters.
private struct InboundThreadSink: InboundSink {
    let threads: TunnelThreads
    let outgoing: DatagramSendBatch
    let rooms: PacketSlots
    private var wakeupPending = false

    init(threads: TunnelThreads, outgoing: DatagramSendBatch, rooms: PacketSlots) {
        self.threads = threads
        self.outgoing = outgoing
        self.rooms = rooms
    }

    /// Wakes the control thread if this batch queued something for it.
    mutating func wakeControlThread() {
        guard wakeupPending else { return }
        threads.queue.wake()
        wakeupPending = false
    }

    func forward(_ datagram: UnsafeRawBufferPointer, to destination: Endpoint) {
        if outgoing.isFull { threads.flush(outgoing) }
        _ = outgoing.append(datagram, to: destination)
    }

    /// The room of the batch's next place, which stays as it is until the batch is sent.
    func room() -> UnsafeMutableRawBufferPointer {
        if outgoing.isFull { threads.flush(outgoing) }
        return rooms.slot(outgoing.count)
    }

    func reply(_ datagram: [UInt8], to destination: Endpoint) {
        // Copied into a room: the array's storage would be gone before the batch is sent.
        let room = room()
        datagram.withUnsafeBytes { room.copyMemory(from: $0) }
        forward(UnsafeRawBufferPointer(rebasing: room[..<datagram.count]), to: destination)
    }

    mutating func post(_ event: ControlEvent) {
        if threads.queue.enqueue(event) { wakeupPending = true }
    }

    func hasRoom(forUnauthenticated byteCount: Int) -> Bool { threads.queue.hasRoom(forUnauthenticated: byteCount) }
    func unauthenticatedBacklog() -> Int { threads.queue.unauthenticatedBacklog }
    func drop(_ reason: DropReason) { threads.drops.count(reason) }
    func deliver(_ coalescer: inout TCPCoalescer) { threads.deliver(&coalescer) }
}
