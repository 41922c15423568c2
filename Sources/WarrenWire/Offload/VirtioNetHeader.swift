/// The header a TUN device opened with IFF_VNET_HDR puts in front of every packet
/// (`struct virtio_net_hdr`, virtio spec §5.1.6, in host byte order for a TUN device). It
/// lets the kernel hand Warren one 64 KB TCP "super-packet" per read instead of ~45 small
/// ones (TSO), with its checksum left for Warren to finish.
///
/// ```
///  0       1          2          4          6             8              10
///  +-------+----------+----------+----------+-------------+--------------+
///  | flags | gso_type | hdr_len  | gso_size | csum_start  | csum_offset  |
///  +-------+----------+----------+----------+-------------+--------------+
/// ```
public struct VirtioNetHeader: Equatable, Sendable {
    public static let byteCount = 10

    /// The transport checksum is partial: finish it from `checksumStart`.
    public static let needsChecksum: UInt8 = 1
    /// The checksum is known good (used when writing decrypted packets: the AEAD tag already
    /// proved the packet is exactly what the peer sent, as kernel WireGuard also reasons).
    public static let dataValid: UInt8 = 2

    public enum SegmentationType: UInt8, Sendable {
        case none = 0
        case tcpv4 = 1
        case tcpv6 = 4
    }

    public var flags: UInt8
    public var segmentation: SegmentationType
    public var headerLength: UInt16
    public var segmentSize: UInt16
    public var checksumStart: UInt16
    public var checksumOffset: UInt16

    public init(flags: UInt8 = 0, segmentation: SegmentationType = .none, headerLength: UInt16 = 0, segmentSize: UInt16 = 0,
                checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0) {
        self.flags = flags
        self.segmentation = segmentation
        self.headerLength = headerLength
        self.segmentSize = segmentSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    /// Reads the header; nil if too short or of a segmentation type Warren did not enable.
    @inline(__always)
    public init?(_ raw: UnsafeRawBufferPointer) {
        guard raw.count >= Self.byteCount,
              // Bit 7 is the ECN marker; it changes nothing about how to split.
              let type = SegmentationType(rawValue: raw[1] & 0x7f) else { return nil }
        flags = raw[0]
        segmentation = type
        headerLength = raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
        segmentSize = raw.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        checksumStart = raw.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        checksumOffset = raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
    }

    @inline(__always)
    public func write(into raw: UnsafeMutableRawBufferPointer) {
        precondition(raw.count >= Self.byteCount)
        raw[0] = flags
        raw[1] = segmentation.rawValue
        raw.storeBytes(of: headerLength, toByteOffset: 2, as: UInt16.self)
        raw.storeBytes(of: segmentSize, toByteOffset: 4, as: UInt16.self)
        raw.storeBytes(of: checksumStart, toByteOffset: 6, as: UInt16.self)
        raw.storeBytes(of: checksumOffset, toByteOffset: 8, as: UInt16.self)
    }
}
