/// "Destination unreachable" replies the node writes back into its TUN device when a packet's
/// destination cannot be found, so `ping` and `connect()` fail at once with "No route to host"
/// instead of timing out (RFC 792 type 3 code 1; RFC 4443 type 1 code 3).
public enum ICMPUnreachable {
    /// The reply to `packet`, quoting as much of it as RFC 792 / RFC 4443 allow; nil if
    /// `packet` is not an IP packet or is itself an ICMP error (never answer an error with an
    /// error). The reply comes from the unreachable address itself: a packet from one of the
    /// host's own addresses arriving on an interface would be dropped as a martian.
    public static func reply(to packet: [UInt8]) -> [UInt8]? {
        packet.withUnsafeBytes { raw -> [UInt8]? in
            guard let original = IPPacket.source(raw), let source = IPPacket.destination(raw) else { return nil }
            switch (source, original) {
            case (.v4(let from), .v4(let to)):
                let headerLength = Int(raw[0] & 0x0f) * 4
                guard headerLength >= 20, raw.count >= headerLength else { return nil }
                if raw[9] == 1, raw.count > headerLength, isError(v4Type: raw[headerLength]) { return nil }
                let quoted = Array(raw.prefix(min(raw.count, headerLength + 8)))
                var icmp: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0] + quoted
                store(checksum(icmp, pseudo: 0), in: &icmp, at: 2)
                let total = 20 + icmp.count
                var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 1, 0, 0]
                ip += from.bytes + to.bytes
                store(checksum(ip, pseudo: 0), in: &ip, at: 10)
                return ip + icmp
            case (.v6(let from), .v6(let to)):
                guard raw.count >= IPPacket.ipv6HeaderBytes else { return nil }
                if raw[6] == 58, raw.count > 40, raw[40] < 128 { return nil }
                // The whole reply must fit the IPv6 minimum MTU.
                let quoted = Array(raw.prefix(min(raw.count, 1280 - 48)))
                var icmp: [UInt8] = [1, 3, 0, 0, 0, 0, 0, 0] + quoted
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
