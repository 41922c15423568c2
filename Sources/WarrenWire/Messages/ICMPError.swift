/// ICMP errors the node writes back into its TUN device, so the sender's stack learns at once
/// what became of a packet instead of waiting for a timeout:
/// - destination unreachable, when a packet's destination cannot be found (`ping` and
///   `connect()` fail with "No route to host"; RFC 792 type 3 code 1, RFC 4443 type 1 code 3);
/// - too big, when a packet does not fit the path it must take (a circuit's MTU), so TCP
///   inside lowers its segment size instead of stalling (RFC 1191 type 3 code 4 with the
///   next-hop MTU, RFC 4443 type 2);
/// - administratively prohibited, when an exit's policy refuses a packet (RFC 1812 §5.2.7.1
///   type 3 code 13, RFC 4443 type 1 code 1): `connect()` fails at once instead of timing out.
public enum ICMPError {
    public enum Kind: Equatable, Sendable {
        case unreachable
        case tooBig(mtu: UInt16)
        case prohibited
    }

    /// The reply to `packet`, quoting as much of it as RFC 792 / RFC 4443 allow; nil if
    /// `packet` is not an IP packet or is itself an ICMP error (never answer an error with an
    /// error), or, for `tooBig`, an IPv4 packet that may be fragmented (no DF: it gets no
    /// such error on any path). The reply comes from the packet's destination: a packet from
    /// one of the host's own addresses arriving on an interface would be dropped as a martian.
    public static func reply(_ kind: Kind, to packet: [UInt8]) -> [UInt8]? {
        packet.withUnsafeBytes { raw -> [UInt8]? in
            guard let original = IPPacket.source(raw), let source = IPPacket.destination(raw) else { return nil }
            switch (source, original) {
            case (.v4(let from), .v4(let to)):
                let headerLength = Int(raw[0] & 0x0f) * 4
                guard headerLength >= 20, raw.count >= headerLength else { return nil }
                if raw[9] == 1, raw.count > headerLength, isError(v4Type: raw[headerLength]) { return nil }
                var icmp: [UInt8]
                switch kind {
                case .unreachable:
                    icmp = [3, 1, 0, 0, 0, 0, 0, 0]
                case .prohibited:
                    icmp = [3, 13, 0, 0, 0, 0, 0, 0]
                case .tooBig(let mtu):
                    guard raw[6] & 0x40 != 0 else { return nil }
                    icmp = [3, 4, 0, 0, 0, 0, UInt8(mtu >> 8), UInt8(mtu & 0xff)]
                }
                icmp += raw.prefix(min(raw.count, headerLength + 8))
                store(checksum(icmp, pseudo: 0), in: &icmp, at: 2)
                let total = 20 + icmp.count
                var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 1, 0, 0]
                ip += from.bytes + to.bytes
                store(checksum(ip, pseudo: 0), in: &ip, at: 10)
                return ip + icmp
            case (.v6(let from), .v6(let to)):
                guard raw.count >= IPPacket.ipv6HeaderBytes else { return nil }
                if raw[6] == 58, raw.count > 40, raw[40] < 128 { return nil }
                var icmp: [UInt8]
                switch kind {
                case .unreachable: icmp = [1, 3, 0, 0, 0, 0, 0, 0]
                case .prohibited: icmp = [1, 1, 0, 0, 0, 0, 0, 0]
                case .tooBig(let mtu): icmp = [2, 0, 0, 0, 0, 0, UInt8(mtu >> 8), UInt8(mtu & 0xff)]
                }
                // The whole reply must fit the IPv6 minimum MTU.
                icmp += raw.prefix(min(raw.count, 1280 - 48))
                let pseudoSum = pseudoHeader(from: from, to: to, length: icmp.count)
                store(checksum(icmp, pseudo: pseudoSum), in: &icmp, at: 2)
                var ip: [UInt8] = [0x60, 0, 0, 0, UInt8(icmp.count >> 8), UInt8(icmp.count & 0xff), 58, 64]
                ip += from.bytes + to.bytes
                return ip + icmp
            default:
                return nil
            }
        }
    }

    static func isError(v4Type type: UInt8) -> Bool {
        [3, 4, 5, 11, 12].contains(type)
    }

    static func pseudoHeader(from: IPv6Address, to: IPv6Address, length: Int) -> UInt64 {
        var sum = (from.bytes + to.bytes).withUnsafeBytes { InternetChecksum.add($0) }
        sum = InternetChecksum.add(word: UInt16(truncatingIfNeeded: length >> 16), to: sum)
        sum = InternetChecksum.add(word: UInt16(truncatingIfNeeded: length), to: sum)
        return InternetChecksum.add(word: 58, to: sum)
    }

    static func checksum(_ bytes: [UInt8], pseudo: UInt64) -> UInt16 {
        bytes.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.add($0, to: pseudo)) }
    }

    static func store(_ value: UInt16, in bytes: inout [UInt8], at offset: Int) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: UInt16.self) }
    }
}
