/// Appends big-endian fields to a growable byte array. Used for control-plane messages
/// (handshakes, certificates); the packet path writes into preallocated buffers instead.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: UInt16) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeLE(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeLE(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// One-byte length prefix; the caller guarantees at most 255 bytes.
    public mutating func writeShortBytes(_ other: [UInt8]) {
        precondition(other.count <= 255)
        write(UInt8(other.count))
        bytes.append(contentsOf: other)
    }

    /// Two-byte length prefix.
    public mutating func writeLongBytes(_ other: [UInt8]) {
        precondition(other.count <= Int(UInt16.max))
        write(UInt16(other.count))
        bytes.append(contentsOf: other)
    }
}
