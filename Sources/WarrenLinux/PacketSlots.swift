/// A fixed set of packet buffers, `count` slots of `slotBytes` each, in one allocation made
/// at init and reused for every batch: the storage that TUN batch reads and UDP receive
/// batches fill, so the packet path never allocates.
///
/// Owned and driven by one data-plane thread (it is not `Sendable`). A read fills slots
/// from index 0 and records each packet's length; the caller processes `packet(i)` in place
/// (decrypt, encrypt) and may hand the same memory to a send batch.
public final class PacketSlots {
    public let count: Int
    public let slotBytes: Int
    /// Distance between slot starts: `slotBytes` rounded up to a cache line, so slots used
    /// by different stages never share one.
    let strideBytes: Int
    private let storage: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<Int>

    static let alignment = 64

    public init(count: Int, slotBytes: Int) {
        precondition(count > 0 && slotBytes > 0, "PacketSlots needs at least one non-empty slot")
        self.count = count
        self.slotBytes = slotBytes
        strideBytes = (slotBytes + Self.alignment - 1) / Self.alignment * Self.alignment
        storage = UnsafeMutableRawPointer.allocate(byteCount: strideBytes * count, alignment: Self.alignment)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: strideBytes * count)
        lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
    }

    /// The whole buffer of slot `index`, to read or build a packet into.
    @inline(__always)
    public func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        precondition(index >= 0 && index < count, "slot index out of range")
        // In bounds: index < count and each slot lies inside the one allocation.
        return UnsafeMutableRawBufferPointer(start: storage + index * strideBytes, count: slotBytes)
    }

    /// The bytes of the packet in slot `index`: its first `length(index)` bytes.
    @inline(__always)
    public func packet(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: slot(index)[0..<length(index)])
    }

    @inline(__always)
    public func length(_ index: Int) -> Int {
        precondition(index >= 0 && index < count, "slot index out of range")
        return lengths[index]
    }

    @inline(__always)
    public func setLength(_ length: Int, at index: Int) {
        precondition(index >= 0 && index < count, "slot index out of range")
        precondition(length >= 0 && length <= slotBytes, "packet length exceeds its slot")
        lengths[index] = length
    }
}
