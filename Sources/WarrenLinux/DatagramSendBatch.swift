import CLinux
import Glibc
public import WarrenWire

/// Up to `capacity` outgoing datagrams gathered for one sendmmsg call, in vectors allocated
/// once (mmsghdr, iovec and sockaddr_storage per entry). `append` records a pointer to the
/// caller's bytes and writes the destination into the entry's preallocated address, so
/// queueing a datagram allocates nothing; `UDPSocket.flush(_:)` sends them all and empties
/// the batch.
///
/// The bytes are not copied: each appended buffer must stay valid and unchanged until the
/// flush. Owned by one data-plane thread.
public final class DatagramSendBatch {
    public let capacity: Int
    /// The socket family the addresses are written for; flush on a socket of this family.
    public let family: UDPSocket.Family
    public private(set) var count = 0

    let messages: UnsafeMutablePointer<CLinux_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutableRawPointer

    /// What one flush did. `dropped` counts datagrams the kernel had no room for or refused;
    /// `firstError` is the first refusal, for a counter or a rate-limited log line.
    public struct FlushResult: Sendable {
        public var sent: Int
        public var dropped: Int
        public var firstError: SystemError?
    }

    public init(capacity: Int, family: UDPSocket.Family) {
        precondition(capacity > 0 && capacity <= Int(UIO_MAXIOV), "a batch holds 1...\(UIO_MAXIOV) datagrams")
        self.capacity = capacity
        self.family = family
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: CLinux_mmsghdr(), count: capacity)
        vectors = .allocate(capacity: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        addresses = .allocate(byteCount: capacity * SocketAddress.storageBytes, alignment: SocketAddress.storageAlignment)
        addresses.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * SocketAddress.storageBytes)
        for index in 0..<capacity {
            // These pointers stay valid for the batch's life: all three arrays are freed only in deinit.
            messages[index].msg_hdr.msg_iov = vectors + index
            messages[index].msg_hdr.msg_iovlen = 1
            messages[index].msg_hdr.msg_name = addresses + index * SocketAddress.storageBytes
        }
    }

    public convenience init(capacity: Int, for socket: UDPSocket) {
        self.init(capacity: capacity, family: socket.family)
    }

    deinit {
        messages.deinitialize(count: capacity)
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }

    public var isFull: Bool { count == capacity }
    public var isEmpty: Bool { count == 0 }

    /// Queues `bytes` for `endpoint`. Returns false, queueing nothing, when the batch is full
    /// (flush first) or the endpoint is IPv6 and the socket IPv4-only.
    @inline(__always)
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer, to endpoint: Endpoint) -> Bool {
        guard count < capacity else { return false }
        let address = addresses + count * SocketAddress.storageBytes
        guard let length = SocketAddress.write(endpoint, into: address, family: family) else { return false }
        // The kernel only reads through iov_base on send; the mutable pointer is C's spelling.
        vectors[count] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
        messages[count].msg_hdr.msg_namelen = length
        count += 1
        return true
    }

    /// Forgets every queued datagram without sending.
    public func removeAll() { count = 0 }
}
