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
        let target = paddedCount(packet.count, mtu: mtu)
        if target > packet.count { packet += repeatElement(0, count: target - packet.count) }
    }

    /// How long a packet of `count` bytes is once padded.
    @inline(__always)
    public func paddedCount(_ count: Int, mtu: Int) -> Int {
        switch self {
        case .buckets: max(min((count + Self.bucketBytes - 1) / Self.bucketBytes * Self.bucketBytes, mtu), count)
        case .fixed: max(mtu, count)
        case .none: count
        }
    }

    /// `packet` without its padding: cut at the IP header's total length. Nil for bytes that
    /// are not an IP packet or claim more bytes than they have.
    public static func unpadded(_ packet: [UInt8]) -> [UInt8]? {
        guard let total = packet.withUnsafeBytes({ unpaddedCount($0) }) else { return nil }
        return total == packet.count ? packet : Array(packet.prefix(total))
    }

    /// The length of the packet in `padded`, by its IP header; nil if that is not an IP
    /// packet or claims more bytes than there are.
    @inline(__always)
    public static func unpaddedCount(_ padded: UnsafeRawBufferPointer) -> Int? {
        guard let first = padded.first else { return nil }
        let total: Int
        switch first >> 4 {
        case 4 where padded.count >= 20: total = Int(padded[2]) << 8 | Int(padded[3])
        case 6 where padded.count >= 40: total = 40 + (Int(padded[4]) << 8 | Int(padded[5]))
        default: return nil
        }
        return total <= padded.count ? total : nil
    }
}
