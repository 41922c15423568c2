import CLinux
import Glibc
public import WarrenWire

/// The vectors for one recvmmsg call, allocated once and reused for every receive, after
/// swift-nio's DatagramVectorReadManager: `capacity` buffers of `datagramBytes` each (a
/// `PacketSlots`), one iovec and one sockaddr_storage per buffer, and the mmsghdr array
/// tying them together. After `UDPSocket.receive(into:)` returns n, indices 0..<n hold a
/// datagram (`bytes(i)`) and where it came from (`endpoint(i)`).
///
/// Owned by the one thread that receives; the next receive overwrites everything, so
/// process (or copy) a batch before receiving again.
public final class DatagramReceiveBatch {
    public let capacity: Int
    /// The datagram buffers; decrypt in place in `slots.packet(i)`.
    public let slots: PacketSlots
    /// How many entries the last receive filled.
    public private(set) var count = 0

    let messages: UnsafeMutablePointer<CLinux_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutableRawPointer
    /// Room per entry for a UDP_GRO control message (see `segmentBytes`).
    private let controls: UnsafeMutableRawPointer
    private static let controlBytes = Int(CLinux_UDP_OFFLOAD_CONTROL_BYTES)

    /// `datagramBytes` should cover the largest datagram expected (path MTU): a longer one
    /// is cut short by the kernel and flagged by `isTruncated`.
    public init(capacity: Int, datagramBytes: Int) {
        precondition(capacity > 0 && capacity <= Int(UIO_MAXIOV), "a batch holds 1...\(UIO_MAXIOV) datagrams")
        self.capacity = capacity
        slots = PacketSlots(count: capacity, slotBytes: datagramBytes)
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: CLinux_mmsghdr(), count: capacity)
        vectors = .allocate(capacity: capacity)
        addresses = .allocate(byteCount: capacity * SocketAddress.storageBytes, alignment: SocketAddress.storageAlignment)
        addresses.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * SocketAddress.storageBytes)
        controls = .allocate(byteCount: capacity * Self.controlBytes, alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Self.controlBytes)
        for index in 0..<capacity {
            let slot = slots.slot(index)
            vectors[index] = iovec(iov_base: slot.baseAddress, iov_len: slot.count)
            // These pointers stay valid for the batch's life: all three arrays are freed only in deinit.
            messages[index].msg_hdr.msg_iov = vectors + index
            messages[index].msg_hdr.msg_iovlen = 1
            messages[index].msg_hdr.msg_name = addresses + index * SocketAddress.storageBytes
            messages[index].msg_hdr.msg_namelen = socklen_t(SocketAddress.storageBytes)
            messages[index].msg_hdr.msg_control = controls + index * Self.controlBytes
            messages[index].msg_hdr.msg_controllen = Self.controlBytes
        }
    }

    deinit {
        messages.deinitialize(count: capacity)
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        controls.deallocate()
    }

    /// The datagram at `index`, as received.
    @inline(__always)
    public func bytes(_ index: Int) -> UnsafeMutableRawBufferPointer {
        precondition(index < count, "batch index beyond the datagrams received")
        return slots.packet(index)
    }

    /// Where the datagram at `index` came from; nil for an address family this module does
    /// not speak (never for a UDP socket in practice).
    @inline(__always)
    public func endpoint(_ index: Int) -> Endpoint? {
        precondition(index < count, "batch index beyond the datagrams received")
        let header = messages[index].msg_hdr
        return SocketAddress.endpoint(from: addresses + index * SocketAddress.storageBytes,
                                      length: Int(header.msg_namelen))
    }

    /// True when the datagram at `index` was longer than its buffer and was cut short; drop it.
    @inline(__always)
    public func isTruncated(_ index: Int) -> Bool {
        precondition(index < count, "batch index beyond the datagrams received")
        return messages[index].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0
    }

    /// How long each datagram in the entry at `index` is: with UDP GRO on
    /// (`UDPSocket.enableReceiveOffload`), an entry may hold several datagrams from one
    /// source, each this long but the last, which may be shorter. Without, the entry's length.
    /// Never 0, even for an empty datagram: callers step through an entry by it.
    @inline(__always)
    public func segmentBytes(_ index: Int) -> Int {
        precondition(index < count, "batch index beyond the datagrams received")
        let size = Int(CLinux_udp_gro_segment_size(&messages[index].msg_hdr))
        let length = slots.length(index)
        return size > 0 && size < length ? size : max(length, 1)
    }

    /// Restores the fields the kernel overwrote in the last receive.
    @inline(__always)
    func prepareForReceive() {
        for index in 0..<count {
            messages[index].msg_hdr.msg_namelen = socklen_t(SocketAddress.storageBytes)
            messages[index].msg_hdr.msg_controllen = Self.controlBytes
            messages[index].msg_hdr.msg_flags = 0
        }
        count = 0
    }

    /// Records the lengths the kernel reported for the first `received` entries.
    @inline(__always)
    func didReceive(_ received: Int) {
        // msg_len never exceeds the iovec length; `min` keeps even a kernel surprise in bounds.
        for index in 0..<received {
            slots.setLength(min(Int(messages[index].msg_len), slots.slotBytes), at: index)
        }
        count = received
    }
}
