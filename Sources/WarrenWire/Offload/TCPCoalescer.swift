/// The receive half of TUN offloads (what GRO does in a NIC driver): consecutive segments of
/// one TCP flow that arrive in the same batch are joined into a single super-packet, written
/// to the TUN device with one write and a virtio header that tells the kernel how it was
/// built. A bulk transfer then costs the receiving kernel one pass per ~45 segments.
///
/// Packets are joined in place: a segment's payload is appended to the buffer of the first
/// segment of its flow, so each buffer must have room for a 64 KB packet. Owned by the receive
/// thread; its storage is allocated once.
public struct TCPCoalescer: ~Copyable {
    /// One packet to write: a lone packet, or the head of a joined flow.
    struct Item {
        var buffer: UnsafeMutableRawBufferPointer
        var offset: Int
        var length: Int
        var ipHeaderLength: Int
        var tcpHeaderLength: Int
        var segmentSize: Int
        var nextSequence: UInt32
        var segments: Int
        var isOpen: Bool
        var isV4: Bool
    }

    static let maxPacketBytes = 65535
    /// How many flows may be open at once; older ones stop growing beyond it.
    static let maxOpenScan = 8

    private let items: UnsafeMutablePointer<Item>
    public let capacity: Int
    public private(set) var count = 0

    public init(capacity: Int) {
        self.capacity = capacity
        items = .allocate(capacity: capacity)
    }

    deinit { items.deallocate() }

    /// Offers the IP packet at `buffer[offset..<offset + length]`; `buffer` must stay valid
    /// and untouched until `drain`.
    /// Whether it holds as many packets as it can: drain before adding another.
    public var isFull: Bool { count == capacity }

    public mutating func add(buffer: UnsafeMutableRawBufferPointer, offset: Int, length: Int) {
        precondition(count < capacity, "more packets than the coalescer holds")
        let packet = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        guard let shape = Self.shape(packet) else {
            // A TCP packet that cannot join (FIN, RST, fragments…) ends its flow's run, so no
            // later segment of that flow is written ahead of it.
            closeFlow(of: packet)
            append(Item(buffer: buffer, offset: offset, length: length, ipHeaderLength: 0, tcpHeaderLength: 0, segmentSize: 0,
                        nextSequence: 0, segments: 1, isOpen: false, isV4: false))
            return
        }
        let payload = length - shape.headers
        let sequence = UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: shape.ip + 4, as: UInt32.self))
        var i = count - 1
        var scanned = 0
        while i >= 0 && scanned < Self.maxOpenScan {
            if items[i].isOpen && sameFlow(items[i], packet, shape) {
                if canJoin(items[i], packet, shape, payload: payload, sequence: sequence) {
                    join(i, packet, shape, payload: payload)
                    return
                }
                // Out of order or different shape: this flow's run ends here.
                items[i].isOpen = false
                break
            }
            i -= 1
            scanned += 1
        }
        // Only full-sized data segments without PSH start a run that others can join.
        let flags = packet[shape.ip + 13]
        append(Item(buffer: buffer, offset: offset, length: length, ipHeaderLength: shape.ip, tcpHeaderLength: shape.tcp,
                    segmentSize: payload, nextSequence: sequence &+ UInt32(payload), segments: 1,
                    isOpen: payload > 0 && flags == Self.ackFlag, isV4: shape.isV4))
    }

    /// Calls `write` for every packet to hand to the TUN device, in arrival order of their
    /// first segment, with the virtio header to put in front of it; then empties itself.
    public mutating func drain(_ write: (UnsafeMutableRawBufferPointer, Int, Int, VirtioNetHeader) -> Void) {
        for i in 0..<count {
            let item = items[i]
            if item.segments == 1 {
                write(item.buffer, item.offset, item.length, VirtioNetHeader(flags: VirtioNetHeader.dataValid))
                continue
            }
            let packet = UnsafeMutableRawBufferPointer(rebasing: item.buffer[item.offset..<item.offset + item.length])
            let tcp = item.ipHeaderLength
            if item.isV4 {
                packet.storeBytes(of: UInt16(item.length).bigEndian, toByteOffset: 2, as: UInt16.self)
                packet.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
                let sum = InternetChecksum.add(UnsafeRawBufferPointer(rebasing: packet[0..<tcp]))
                packet.storeBytes(of: InternetChecksum.finish(sum), toByteOffset: 10, as: UInt16.self)
            } else {
                packet.storeBytes(of: UInt16(item.length - IPPacket.ipv6HeaderBytes).bigEndian, toByteOffset: 4, as: UInt16.self)
            }
            // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the kernel finishes it
            // if it ever needs it (it does not, for a packet it delivers locally).
            let pseudo = InternetChecksum.pseudoHeaderSum(UnsafeRawBufferPointer(packet), protocol: 6, length: item.length - tcp)
            packet.storeBytes(of: ~InternetChecksum.finish(pseudo), toByteOffset: tcp + 16, as: UInt16.self)
            let header = VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, segmentation: item.isV4 ? .tcpv4 : .tcpv6,
                                         headerLength: UInt16(tcp + item.tcpHeaderLength), segmentSize: UInt16(item.segmentSize),
                                         checksumStart: UInt16(tcp), checksumOffset: 16)
            write(item.buffer, item.offset, item.length, header)
        }
        count = 0
    }

    // MARK: -

    static let ackFlag: UInt8 = 0x10
    static let pshFlag: UInt8 = 0x08

    struct Shape {
        var ip: Int
        var tcp: Int
        var headers: Int { ip + tcp }
        var isV4: Bool
    }

    /// IPv4 without options or fragments, or IPv6 without extension headers, carrying TCP
    /// with only ACK or ACK|PSH set: the only packets worth joining.
    static func shape(_ p: UnsafeRawBufferPointer) -> Shape? {
        guard p.count >= 40 else { return nil }
        let ip: Int
        let isV4: Bool
        switch p[0] >> 4 {
        case 4:
            guard p[0] & 0x0f == 5, p[9] == 6, Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))) == p.count,
                  // More-fragments clear and fragment offset zero.
                  p.loadUnaligned(fromByteOffset: 6, as: UInt16.self) & UInt16(0x3fff).bigEndian == 0 else { return nil }
            ip = 20
            isV4 = true
        case 6:
            guard p.count >= 60, p[6] == 6,
                  Int(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))) + 40 == p.count else { return nil }
            ip = 40
            isV4 = false
        default:
            return nil
        }
        let tcp = Int(p[ip + 12] >> 4) * 4
        let flags = p[ip + 13]
        guard tcp >= 20, ip + tcp <= p.count, flags & ~pshFlag == ackFlag else { return nil }
        return Shape(ip: ip, tcp: tcp, isV4: isV4)
    }

    /// Same addresses and ports.
    private func sameFlow(_ item: Item, _ p: UnsafeRawBufferPointer, _ shape: Shape) -> Bool {
        guard item.isV4 == shape.isV4, item.ipHeaderLength == shape.ip else { return false }
        let head = UnsafeRawBufferPointer(rebasing: item.buffer[item.offset...])
        let addresses = shape.isV4 ? 12..<20 : 8..<40
        return head[addresses].elementsEqual(p[addresses])
            && head.loadUnaligned(fromByteOffset: shape.ip, as: UInt32.self) == p.loadUnaligned(fromByteOffset: shape.ip, as: UInt32.self)
    }

    /// The next segment in sequence, of the run's size, with identical acknowledgment,
    /// window and options, and room left in a 64 KB packet.
    private func canJoin(_ item: Item, _ p: UnsafeRawBufferPointer, _ shape: Shape, payload: Int, sequence: UInt32) -> Bool {
        guard item.tcpHeaderLength == shape.tcp, sequence == item.nextSequence, payload > 0, payload <= item.segmentSize,
              item.length + payload <= Self.maxPacketBytes, item.offset + item.length + payload <= item.buffer.count else { return false }
        let head = UnsafeRawBufferPointer(rebasing: item.buffer[item.offset...])
        let ip = shape.ip
        if shape.isV4 {
            // TOS and TTL.
            guard head[1] == p[1], head[8] == p[8] else { return false }
        } else {
            guard head[0..<4].elementsEqual(p[0..<4]), head[7] == p[7] else { return false }
        }
        // Acknowledgment number; then window; then options (urgent pointer and checksum differ).
        return head.loadUnaligned(fromByteOffset: ip + 8, as: UInt32.self) == p.loadUnaligned(fromByteOffset: ip + 8, as: UInt32.self)
            && head.loadUnaligned(fromByteOffset: ip + 14, as: UInt16.self) == p.loadUnaligned(fromByteOffset: ip + 14, as: UInt16.self)
            && head[(ip + 20)..<(ip + shape.tcp)].elementsEqual(p[(ip + 20)..<(ip + shape.tcp)])
    }

    private mutating func join(_ i: Int, _ p: UnsafeRawBufferPointer, _ shape: Shape, payload: Int) {
        let item = items[i]
        let end = item.offset + item.length
        UnsafeMutableRawBufferPointer(rebasing: item.buffer[end..<end + payload])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: p[shape.headers...]))
        items[i].length += payload
        items[i].segments += 1
        items[i].nextSequence = item.nextSequence &+ UInt32(payload)
        let flags = p[shape.ip + 13]
        if flags & Self.pshFlag != 0 {
            item.buffer[item.offset + shape.ip + 13] |= Self.pshFlag
        }
        // A short segment or PSH ends the run, as in the kernel's GRO.
        if payload < item.segmentSize || flags & Self.pshFlag != 0 { items[i].isOpen = false }
    }

    private mutating func closeFlow(of p: UnsafeRawBufferPointer) {
        let shape: Shape
        switch IPPacket.version(p) {
        case 4 where p.count >= 24 && p[9] == 6 && p[0] & 0x0f == 5: shape = Shape(ip: 20, tcp: 20, isV4: true)
        case 6 where p.count >= 44 && p[6] == 6: shape = Shape(ip: 40, tcp: 20, isV4: false)
        default: return
        }
        for i in 0..<count where items[i].isOpen && sameFlow(items[i], p, shape) {
            items[i].isOpen = false
        }
    }

    private mutating func append(_ item: Item) {
        (items + count).initialize(to: item)
        count += 1
    }
}
