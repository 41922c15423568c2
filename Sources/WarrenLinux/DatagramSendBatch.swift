import CLinux
import Glibc
public import WarrenWire

/// Up to `capacity` outgoing datagrams gathered for one sendmmsg call, in vectors allocated
/// once (mmsghdr, iovec, sockaddr_storage and control room per entry). `append` records a
/// pointer to the caller's bytes and writes the destination into a preallocated address, so
/// queueing a datagram allocates nothing; `UDPSocket.flush(_:)` sends them all and empties
/// the batch.
///
/// With `joinsSegments`, consecutive datagrams of one size to one destination (the last may
/// be shorter) share one message with a UDP_SEGMENT control message: the kernel takes them
/// through its stack as one (UDP GSO), which costs a fraction of sending them one by one. A
/// TCP burst through the tunnel is such a run.
///
/// The bytes are not copied: each appended buffer must stay valid and unchanged until the
/// flush. Owned by one data-plane thread.
public final class DatagramSendBatch {
    /// How many datagrams one message may carry, and their bytes in all (the kernel's
    /// limits: UDP_MAX_SEGMENTS, and a UDP length under 64 KiB).
    static let maxSegments = 64
    static let maxJoinedBytes = 65_000

    public let capacity: Int
    /// The socket family the addresses are written for; flush on a socket of this family.
    public let family: UDPSocket.Family
    /// Whether runs of datagrams go out as one message (the socket supports UDP GSO).
    public let joinsSegments: Bool
    /// Datagrams queued.
    public private(set) var count = 0
    /// Messages they make.
    private(set) var messageCount = 0

    let messages: UnsafeMutablePointer<CLinux_mmsghdr>
    /// Per message, how many datagrams it carries.
    let datagramsPerMessage: UnsafeMutablePointer<Int>
    /// A refused run's datagrams as messages of their own (`split`), for one more sendmmsg.
    let singles: UnsafeMutablePointer<CLinux_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutableRawPointer
    private let controls: UnsafeMutableRawPointer
    /// The last message's destination and segment size, its bytes so far, and whether it
    /// can take more (a shorter datagram ends a run).
    private var runEndpoint: Endpoint?
    private var runSegmentBytes = 0
    private var runBytes = 0
    private var runOpen = false

    /// What one flush did. `dropped` counts datagrams the kernel had no room for or refused;
    /// `firstError` is the first refusal, for a counter or a rate-limited log line.
    public struct FlushResult: Sendable {
        public var sent: Int
        public var dropped: Int
        public var firstError: SystemError?
    }

    public init(capacity: Int, family: UDPSocket.Family, joinsSegments: Bool = false) {
        precondition(capacity > 0 && capacity <= Int(UIO_MAXIOV), "a batch holds 1...\(UIO_MAXIOV) datagrams")
        self.capacity = capacity
        self.family = family
        self.joinsSegments = joinsSegments
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: CLinux_mmsghdr(), count: capacity)
        datagramsPerMessage = .allocate(capacity: capacity)
        datagramsPerMessage.initialize(repeating: 0, count: capacity)
        singles = .allocate(capacity: Self.maxSegments)
        singles.initialize(repeating: CLinux_mmsghdr(), count: Self.maxSegments)
        vectors = .allocate(capacity: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        addresses = .allocate(byteCount: capacity * SocketAddress.storageBytes, alignment: SocketAddress.storageAlignment)
        addresses.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * SocketAddress.storageBytes)
        controls = .allocate(byteCount: capacity * Int(CLinux_UDP_OFFLOAD_CONTROL_BYTES), alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Int(CLinux_UDP_OFFLOAD_CONTROL_BYTES))
        for index in 0..<capacity {
            // These pointers stay valid for the batch's life: the arrays are freed only in deinit.
            messages[index].msg_hdr.msg_name = addresses + index * SocketAddress.storageBytes
        }
    }

    /// A batch for `socket`, joining runs where the socket supports it.
    public convenience init(capacity: Int, for socket: UDPSocket) {
        self.init(capacity: capacity, family: socket.family, joinsSegments: socket.supportsSegmentation)
    }

    deinit {
        messages.deinitialize(count: capacity)
        messages.deallocate()
        datagramsPerMessage.deallocate()
        singles.deinitialize(count: Self.maxSegments)
        singles.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        controls.deallocate()
    }

    public var isFull: Bool { count == capacity }
    public var isEmpty: Bool { count == 0 }

    /// Queues `bytes` for `endpoint`. Returns false, queueing nothing, when the batch is full
    /// (flush first) or the endpoint is IPv6 and the socket IPv4-only.
    @inline(__always)
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint) -> Bool {
        guard count < capacity else { return false }
        // The kernel only reads through iov_base on send; the mutable pointer is C's spelling.
        let vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        if joinsSegments, runOpen, endpoint == runEndpoint, bytes.count <= runSegmentBytes,
           datagramsPerMessage[messageCount - 1] < Self.maxSegments, runBytes + bytes.count <= Self.maxJoinedBytes {
            let last = messageCount - 1
            vectors[count] = vector
            messages[last].msg_hdr.msg_iovlen += 1
            if datagramsPerMessage[last] == 1 {
                CLinux_set_udp_segment(&messages[last].msg_hdr, controls + last * Int(CLinux_UDP_OFFLOAD_CONTROL_BYTES),
                                       UInt16(runSegmentBytes))
            }
            datagramsPerMessage[last] += 1
            runBytes += bytes.count
            runOpen = bytes.count == runSegmentBytes
            count += 1
            return true
        }
        let address = addresses + messageCount * SocketAddress.storageBytes
        guard let length = SocketAddress.write(endpoint, into: address, family: family) else { return false }
        vectors[count] = vector
        messages[messageCount].msg_hdr.msg_iov = vectors + count
        messages[messageCount].msg_hdr.msg_iovlen = 1
        messages[messageCount].msg_hdr.msg_namelen = length
        CLinux_set_udp_segment(&messages[messageCount].msg_hdr, nil, 0)
        datagramsPerMessage[messageCount] = 1
        (runEndpoint, runSegmentBytes, runBytes, runOpen) = (endpoint, bytes.count, bytes.count, true)
        messageCount += 1
        count += 1
        return true
    }

    /// How many datagrams the messages in `range` carry.
    @inline(__always)
    func datagrams(inMessages range: Range<Int>) -> Int {
        var total = 0
        for index in range { total += datagramsPerMessage[index] }
        return total
    }

    /// Writes message `index`'s datagrams into `singles` as messages of their own (after the
    /// kernel refused them joined), and returns how many.
    func split(_ index: Int) -> Int {
        let joined = messages[index].msg_hdr
        for k in 0..<datagramsPerMessage[index] {
            singles[k].msg_hdr = joined
            singles[k].msg_hdr.msg_iov = joined.msg_iov + k
            singles[k].msg_hdr.msg_iovlen = 1
            CLinux_set_udp_segment(&singles[k].msg_hdr, nil, 0)
        }
        return datagramsPerMessage[index]
    }

    /// Forgets every queued datagram without sending.
    public func removeAll() {
        count = 0
        messageCount = 0
        runOpen = false
    }
}
