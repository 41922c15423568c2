import WarrenSession

/// How a circuit's last hop hands a packet to its destination: as a control message inside
/// their session, so the destination knows the packet comes from an unknown sender through
/// a circuit (and takes it only if it accepts anonymous traffic), not from the last hop's
/// own host. Its answers go back as ordinary packets to the last hop's address.
///
/// Encoding: kind(1) = 0x08 ‖ the IPv4 packet, translated by the last hop (`AnonymousNAT`).
public enum AnonymousDelivery {
    public static let controlKind = DataPath.anonymousDeliveryKind

    public static func encode(_ packet: [UInt8]) -> [UInt8] {
        [controlKind] + packet
    }

    /// The packet a delivery carries, or nil if `bytes` is not one.
    public static func packet(in bytes: [UInt8]) -> [UInt8]? {
        guard bytes.first == controlKind else { return nil }
        return Array(bytes.dropFirst())
    }
}
