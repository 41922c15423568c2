import CLinux
import Glibc
public import WarrenWire

/// A Layer-3 TUN interface (IFF_TUN | IFF_NO_PI): each read returns one IP packet the kernel
/// routed to the interface, each write injects one IP packet as if it had arrived on it.
///
/// The interface is not persistent: it exists while this descriptor is open and the kernel
/// removes it, with its addresses and routes, when `close()` runs or the process dies. That
/// is the daemon's whole teardown. The descriptor is non-blocking; the data-plane thread
/// polls `fileDescriptor` and drains it with `readBatch`. Configure the interface (up, MTU,
/// addresses) through `Netlink`.
public final class TunDevice: Sendable {
    /// The name the kernel gave the interface (a `%d` template in the request is filled in).
    public let name: String
    private let descriptor: FileDescriptor

    public var fileDescriptor: Int32 { descriptor.rawValue }

    /// True when every packet read or written starts with a `VirtioNetHeader`, and reads
    /// may return TCP super-packets of up to 64 KB (TSO) with partial checksums.
    public let offloads: Bool

    /// The most a read can return with offloads on: a 64 KB super-packet and its header.
    public static let maxOffloadReadBytes = 65535 + 10

    /// Creates the interface `name` (at most 15 bytes, such as "warren0" or "warren%d").
    /// With `offloads`, the kernel hands over TCP super-packets and leaves checksums to us,
    /// which moves ~45 packets per read instead of one. Needs CAP_NET_ADMIN.
    public init(name requested: String, offloads: Bool = false) throws(SystemError) {
        let operation = "creating TUN device \(requested)"
        guard !requested.isEmpty, requested.utf8.count < Int(CLinux_IFNAMSIZ),
              !requested.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 <= 0x20 }) else {
            throw SystemError(operation: operation, errno: EINVAL,
                              hint: "an interface name is 1 to 15 characters without '/' or spaces")
        }
        let raw: Int32
        do {
            raw = try Syscall.value("opening /dev/net/tun") { open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC) }
        } catch {
            throw error.renamed(operation, hint: error.errno == ENOENT ? "is the tun kernel module available?" : nil)
        }
        descriptor = FileDescriptor(raw)
        var chosen = [CChar](repeating: 0, count: Int(CLinux_IFNAMSIZ))
        do {
            _ = try Syscall.value(operation) { CLinux_tun_attach(raw, requested, &chosen, offloads ? 1 : 0) }
            if offloads {
                let flags = UInt32(CLinux_TUN_F_CSUM | CLinux_TUN_F_TSO4 | CLinux_TUN_F_TSO6)
                _ = try Syscall.value("enabling offloads on \(requested)") { CLinux_tun_set_offload(raw, flags) }
            }
        } catch {
            throw error.errno == EPERM ? error.renamed(operation, hint: "this needs CAP_NET_ADMIN") : error
        }
        self.offloads = offloads
        name = String(decoding: chosen.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads one packet into `buffer`. Returns its length, or nil when no packet is waiting.
    /// A packet longer than `buffer` is truncated by the kernel, so size buffers for the MTU.
    @inline(__always)
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        guard let base = buffer.baseAddress else { return 0 }
        switch try Syscall.run("read from TUN", { Glibc.read(descriptor.rawValue, base, buffer.count) }) {
        case .done(let count): return count
        case .wouldBlock: return nil
        }
    }

    /// Reads packets into `slots` from index 0 until the device has none left or every slot
    /// is full, so one wake-up moves several packets. Each packet starts `headroomBytes` into
    /// its slot (room for a transport header to be written in front of it later) and
    /// `slots.length(i)` is set to headroom plus packet length. Returns how many slots were filled.
    public func readBatch(into slots: PacketSlots, headroomBytes: Int = 0) throws(SystemError) -> Int {
        precondition(headroomBytes >= 0 && headroomBytes < slots.slotBytes, "headroom must leave room for a packet")
        var filled = 0
        while filled < slots.count {
            let slot = slots.slot(filled)
            let target = UnsafeMutableRawBufferPointer(rebasing: slot[headroomBytes...])
            guard let count = try read(into: target) else { break }
            slots.setLength(headroomBytes + count, at: filled)
            filled += 1
        }
        return filled
    }

    /// Writes one IP packet to the interface. Returns false when the device queue is full
    /// and the packet was dropped: the packet path never waits, and IP tolerates loss.
    @inline(__always)
    @discardableResult
    public func write(_ packet: UnsafeRawBufferPointer) throws(SystemError) -> Bool {
        guard let base = packet.baseAddress else { return true }
        switch try Syscall.run("write to TUN", { Glibc.write(descriptor.rawValue, base, packet.count) }) {
        case .done: return true
        case .wouldBlock: return false
        }
    }

    /// Writes the IP packet at `buffer[offset..<offset + length]`. With offloads on, `header`
    /// is written into the `VirtioNetHeader.byteCount` bytes just before `offset`, which the
    /// caller keeps free, so the packet is not copied. Returns false when the device queue
    /// was full and the packet was dropped.
    @inline(__always)
    public func write(packetIn buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int,
                      header: VirtioNetHeader = VirtioNetHeader()) throws(SystemError) -> Bool {
        guard offloads else {
            return try write(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length]))
        }
        let start = offset - VirtioNetHeader.byteCount
        precondition(start >= 0, "no room for the virtio header before the packet")
        header.write(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<offset]))
        return try write(UnsafeRawBufferPointer(rebasing: buffer[start..<offset + length]))
    }

    /// Closes the descriptor, which makes the kernel delete the interface. Stop the threads
    /// that read or write it first.
    public func close() { descriptor.close() }
}
