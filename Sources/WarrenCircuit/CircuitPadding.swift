/// How a circuit hides the sizes of the packets it carries from the relays and anyone who
/// watches their links: each packet is padded with zeros before it is sealed, to the next
/// multiple of 128 bytes (`buckets`, the default: an ACK and a DNS query look alike, a full
/// segment costs at most 127 bytes), or to the circuit MTU (`fixed`: every message the same
/// size, for traffic whose sizes would tell too much), or not at all (`none`). No length
/// field is needed: the IP header's total length says where the packet ends, and the far end
/// cuts there (`unpadded`).
public enum CircuitPadding: String, CaseIterable, Sendable {
    case buckets
    case fixed
    case none

    public static let bucketBytes = 128

    /// Pads `packet` for a circuit whose largest packet is `mtu` bytes.
    public func pad(_ packet: inout [UInt8], mtu: Int) {
        let target = switch self {
        case .buckets: min((packet.count + Self.bucketBytes - 1) / Self.bucketBytes * Self.bucketBytes, mtu)
        case .fixed: mtu
        case .none: packet.count
        }
        if target > packet.count { packet += repeatElement(0, count: target - packet.count) }
    }

    /// `packet` without its padding: cut at the IP header's total length. Nil for bytes that
    /// are not an IP packet or claim more bytes than they have.
    public static func unpadded(_ packet: [UInt8]) -> [UInt8]? {
        guard let first = packet.first else { return nil }
        let total: Int
        switch first >> 4 {
        case 4 where packet.count >= 20: total = Int(packet[2]) << 8 | Int(packet[3])
        case 6 where packet.count >= 40: total = 40 + (Int(packet[4]) << 8 | Int(packet[5]))
        default: return nil
        }
        guard total <= packet.count else { return nil }
        return total == packet.count ? packet : Array(packet.prefix(total))
    }
}
