import WarrenNAT
import WarrenNode
import WarrenSession
import WarrenWire

/// The underlay and the packet threads: datagrams through NAT boxes with each host's access
/// delay, relay envelopes forwarded, and `DataPath` on both ends.
extension MeshSimulation {
    /// A datagram from host `h`'s socket to `destination`: through `h`'s NAT, across the
    /// network, through the receiver's NAT, if each lets it.
    func send(_ bytes: [UInt8], from h: Int32, to destination: Endpoint) {
        let host = hosts[Int(h)]
        let source: Endpoint
        if host.nat != nil {
            source = hosts[Int(h)].nat!.outbound(to: destination, random: &random)
        } else {
            source = host.local
        }
        guard let r = byAddress[destination.address] else { return }
        let receiver = hosts[Int(r)]
        if let nat = receiver.nat {
            guard nat.inbound(port: destination.port, from: source) != nil else { return }
        } else {
            guard destination.port == Self.port else { return }
        }
        guard scenario.loss == 0 || random.unit() >= scenario.loss else { return }
        datagrams += 1
        queue.push(.datagram(to: r, bytes: bytes, source: source), at: now + host.accessNanoseconds + receiver.accessNanoseconds)
    }

    /// A datagram at host `h`'s socket, as its receive thread takes it: relay envelopes
    /// forwarded, everything else through `DataPath.inbound`, notices and control traffic to
    /// the node, IP packets to the host.
    func receive(_ datagram: [UInt8], at h: Int32, from source: Endpoint) {
        let host = hosts[Int(h)]
        guard host.started else { return }
        var bytes = datagram
        if !host.forwarding.isEmpty,
           let onward = bytes.withUnsafeMutableBytes({ host.forwarding.forward($0, from: source, now: moment.instant) }) {
            send(bytes, from: h, to: onward)
            return
        }
        var notices = DataPath.Notices()
        let verdict = bytes.withUnsafeMutableBytes {
            DataPath.inbound($0, from: source, snapshot: host.snapshot, now: moment.instant, notices: &notices)
        }
        if let (link, endpoint) = notices.roamed { handle(.packet(.roamed(link, endpoint)), at: h) }
        if let keypair = notices.confirmed { handle(.packet(.confirmed(keypair)), at: h) }
        switch verdict {
        case .handshake(let offset, let path): handle(.packet(.handshake(Array(datagram[offset...]), from: path)), at: h)
        case .control(let offset, let length, let link, let path, _):
            handle(.packet(.control(Array(bytes[offset..<offset + length]), link: link, from: path)), at: h)
        case .stun: handle(.packet(.stun(datagram, from: source)), at: h)
        case .deliver(let offset, let length): delivered(Array(bytes[offset..<offset + length]), at: h)
        case .keepalive, .drop, .circuitAnswer: break
        }
    }

    /// An IP packet from host `h`'s own stack, as its send thread takes it.
    func sendIP(_ packet: [UInt8], from h: Int32) {
        let host = hosts[Int(h)]
        var buffer = [UInt8](repeating: 0, count: DataPath.payloadOffset + packet.count + TransportHeader.tagByteCount)
        buffer.replaceSubrange(DataPath.payloadOffset..<DataPath.payloadOffset + packet.count, with: packet)
        let verdict = buffer.withUnsafeMutableBytes {
            DataPath.outbound($0, count: packet.count, snapshot: host.snapshot, now: moment.instant)
        }
        switch verdict {
        case .send(let offset, let length, let endpoint, _): send(Array(buffer[offset..<offset + length]), from: h, to: endpoint)
        case .needsSession(let link): handle(.packet(.hold(packet, link: link)), at: h)
        case .viaCircuit: handle(.packet(.viaCircuit(packet)), at: h)
        case .drop(.noRoute): handle(.packet(.unroutable(IPv4Address(packet[16], packet[17], packet[18], packet[19]), packet: packet)), at: h)
        case .drop: break
        }
    }

    /// An IP packet for host `h` (from a peer, or an ICMP error its node wrote): echo
    /// requests are answered as a kernel would, echo replies end a ping.
    func delivered(_ packet: [UInt8], at h: Int32) {
        guard packet.count >= 28, packet[0] == 0x45, packet[9] == 1 else { return }
        let k = Int(packet[24]) << 8 | Int(packet[25])
        switch packet[20] {
        case 8:
            var reply = packet
            reply.replaceSubrange(12..<16, with: packet[16..<20])
            reply.replaceSubrange(16..<20, with: packet[12..<16])
            reply[20] = 0
            sendIP(reply, from: h)
        case 0 where k < pings.count && pings[k].from == h && pings[k].firstReply == nil:
            pings[k].firstReply = now - pings[k].startedAt
        default:
            break
        }
    }

    /// An echo request from `from` to `to`, naming ping `k` (its identifier) and the attempt.
    static func echoRequest(from: IPv4Address, to: IPv4Address, ping k: Int, attempt: Int) -> [UInt8] {
        [0x45, 0, 0, 36, 0, 0, 0, 0, 64, 1, 0, 0] + from.bytes + to.bytes
            + [8, 0, 0, 0, UInt8(k >> 8), UInt8(k & 0xff), 0, UInt8(attempt)] + [UInt8](repeating: 0x61, count: 8)
    }
}
