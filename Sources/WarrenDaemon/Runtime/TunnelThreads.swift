import Synchronization
import WarrenLinux
import WarrenSession
import WarrenWire

/// The two packet threads. Outbound: TUN → route → encrypt → sendmmsg. Inbound: recvmmsg →
/// decrypt → check → TUN. Each owns its buffers (allocated once, here), reads the routing
/// snapshot once per batch, and hands anything unusual to the control thread.
struct TunnelThreads: Sendable {
    let tun: TunDevice
    let socket: UDPSocket
    let snapshots: SnapshotBox
    let queue: ControlQueue
    let drops: DropCounters
    let stop: EventFD
    let mtu: Int

    static let batchSize = 64

    /// Room for the transport header in front of a packet and the tag after it.
    var slotBytes: Int { DataPath.payloadOffset + mtu + TransportHeader.tagByteCount }

    func runOutbound() {
        let slots = PacketSlots(count: Self.batchSize, slotBytes: slotBytes)
        let batch = DatagramSendBatch(capacity: Self.batchSize, for: socket)
        guard let poller = try? Poller(maxEvents: 2),
              (try? poller.add(tun.fileDescriptor, token: 0)) != nil,
              (try? poller.add(stop.fileDescriptor, token: 1)) != nil else { return }
        while true {
            guard let ready = try? poller.wait(timeoutMilliseconds: -1) else { continue }
            if (0..<ready).contains(where: { poller.token(at: $0) == 1 }) { return }
            while true {
                guard let count = try? tun.readBatch(into: slots, headroomBytes: DataPath.payloadOffset), count > 0 else { break }
                let snapshot = snapshots.read()
                let now = MonotonicClock.now()
                for i in 0..<count {
                    let buffer = slots.slot(i)
                    let payload = slots.length(i) - DataPath.payloadOffset
                    switch DataPath.outbound(buffer, count: payload, snapshot: snapshot, now: now) {
                    case .send(let length, let endpoint, _):
                        _ = batch.append(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), to: endpoint)
                    case .needsSession(let link):
                        let packet = Array(UnsafeRawBufferPointer(rebasing: buffer[DataPath.payloadOffset..<DataPath.payloadOffset + payload]))
                        queue.post(.hold(packet, link: link))
                    case .drop(let reason):
                        drops.count(reason)
                    }
                }
                if !batch.isEmpty {
                    let result = socket.flush(batch)
                    if result.dropped > 0 { drops.count(.sendFailed, times: UInt64(result.dropped)) }
                }
                if count < slots.count { break }
            }
        }
    }

    func runInbound() {
        let batch = DatagramReceiveBatch(capacity: Self.batchSize, datagramBytes: max(slotBytes, 2048))
        guard let poller = try? Poller(maxEvents: 2),
              (try? poller.add(socket.fileDescriptor, token: 0)) != nil,
              (try? poller.add(stop.fileDescriptor, token: 1)) != nil else { return }
        while true {
            guard let ready = try? poller.wait(timeoutMilliseconds: -1) else { continue }
            if (0..<ready).contains(where: { poller.token(at: $0) == 1 }) { return }
            while true {
                guard let count = try? socket.receive(into: batch), count > 0 else { break }
                let snapshot = snapshots.read()
                let now = MonotonicClock.now()
                for i in 0..<count {
                    guard !batch.isTruncated(i), let source = batch.endpoint(i) else {
                        drops.count(.malformed)
                        continue
                    }
                    let datagram = batch.bytes(i)
                    var notices = DataPath.Notices()
                    switch DataPath.inbound(datagram, from: source, snapshot: snapshot, now: now, notices: &notices) {
                    case .deliver(let length):
                        let packet = UnsafeRawBufferPointer(rebasing: datagram[DataPath.payloadOffset..<DataPath.payloadOffset + length])
                        if (try? tun.write(packet)) != true { drops.count(.tunFull) }
                    case .keepalive, .control:
                        break
                    case .handshake:
                        queue.post(.handshake(Array(datagram), from: source))
                    case .drop(let reason):
                        drops.count(reason)
                    }
                    if let keypair = notices.confirmed { queue.post(.confirmed(keypair)) }
                    if let (link, endpoint) = notices.roamed { queue.post(.roamed(link, endpoint)) }
                }
                if count < batch.capacity { break }
            }
        }
    }
}
