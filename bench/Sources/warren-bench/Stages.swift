import WarrenSession
import WarrenWire

/// The four stages of the packet path, each driven the way the packet threads drive it
/// (Sources/WarrenDaemon/Runtime/TunnelThreads.swift): preallocated buffers, the packet at
/// `DataPath.payloadOffset`, batches of 64. Each stage's work happens inside one
/// `@inline(never)` function whose name starts with `measure`, which `bench/callgrind` names
/// with `--toggle-collect`: only instructions executed inside it are counted, so rebuilding
/// the input between batches (outside it) costs nothing in the figures.
enum Stages {
    static let batch = 64
    /// Inner packets: 1400-byte IPv4 packets (TCP with timestamps would be 1420 at MTU 1420).
    static let packetBytes = 1400
    /// A bulk TCP flow at MTU 1420 with timestamps: 20 + 32 bytes of headers, MSS 1368.
    static let tcpHeaderBytes = 32
    static let mss = 1368
    /// What Linux TSO typically hands over at MTU 1420: 47 segments, 64348 bytes.
    static let segmentsPerSuperPacket = 47

    /// A buffer of `count` slots, each `strideBytes` long, allocated once.
    struct Slots {
        let base: UnsafeMutableRawPointer
        let count: Int
        let strideBytes: Int

        init(count: Int, slotBytes: Int) {
            self.count = count
            strideBytes = (slotBytes + 63) / 64 * 64
            base = .allocate(byteCount: strideBytes * count, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: strideBytes * count)
        }

        func slot(_ i: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: base + i * strideBytes, count: strideBytes)
        }
    }

    /// An IPv4 header of a `total`-byte packet from 10.8.0.1 to 10.8.0.2.
    static func ipv4Header(total: Int, protocol proto: UInt8) -> [UInt8] {
        var h: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0, 64, proto, 0, 0,
                          10, 8, 0, 1, 10, 8, 0, 2]
        let sum = h.withUnsafeBytes { InternetChecksum.finish(InternetChecksum.add($0)) }
        withUnsafeBytes(of: sum) { h[10] = $0[0]; h[11] = $0[1] }
        return h
    }

    /// A TCP header with timestamps (NOP, NOP, TS), ACK set, at sequence `sequence`.
    static func tcpHeader(sequence: UInt32, flags: UInt8 = 0x10) -> [UInt8] {
        var t: [UInt8] = [0xc3, 0x50, 0x14, 0x51]                          // ports 50000 → 5201
        t += withUnsafeBytes(of: sequence.bigEndian, Array.init)
        t += [0x00, 0x00, 0x10, 0x00, 0x80, flags, 0x01, 0xf5, 0, 0, 0, 0] // ack, offset 8 words, window
        t += [0x01, 0x01, 0x08, 0x0a, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78]  // NOP NOP TS
        return t
    }

    static func fillPayload(_ p: UnsafeMutableRawBufferPointer) {
        for i in p.indices { p[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3) }
    }

    // MARK: encrypt + route (the outbound thread, after segmentation)

    /// Alice encrypts `batches` × 64 1400-byte packets for bob; returns the bytes to send.
    static func outbound(_ pair: Pair, batches: Int) -> Int {
        let slots = Slots(count: batch, slotBytes: DataPath.payloadOffset + packetBytes + TransportHeader.tagByteCount)
        let header = ipv4Header(total: packetBytes, protocol: 17)
        for i in 0..<batch { fillPayload(UnsafeMutableRawBufferPointer(rebasing: slots.slot(i)[DataPath.payloadOffset...])) }
        let snapshot = pair.aliceSnapshot
        var sent = 0
        for _ in 0..<batches {
            // Sealing encrypts in place; routing only reads the IP header, so putting it back
            // is all a new batch needs (the rest is ciphertext of the right length).
            header.withUnsafeBytes { h in
                for i in 0..<batch { (slots.base + i * slots.strideBytes + DataPath.payloadOffset).copyMemory(from: h.baseAddress!, byteCount: h.count) }
            }
            sent += measureOutbound(slots, snapshot: snapshot, now: pair.now.instant)
        }
        return sent
    }

    @inline(never)
    static func measureOutbound(_ slots: Slots, snapshot: RoutingSnapshot, now: Instant) -> Int {
        var sent = 0
        for i in 0..<batch {
            switch DataPath.outbound(slots.slot(i), count: packetBytes, snapshot: snapshot, now: now) {
            case .send(_, let length, _, _): sent += length
            case .needsSession, .viaCircuit, .drop: fatalError("outbound packet not sent")
            }
        }
        return sent
    }

    // MARK: decrypt + check (the inbound thread, before coalescing)

    /// Bob decrypts and checks `batches` × 64 packets alice sealed beforehand (each with its own
    /// counter, as the replay window demands); returns the bytes delivered.
    static func inbound(_ pair: Pair, batches: Int) -> Int {
        let datagramBytes = TransportHeader.overhead + packetBytes
        // One allocation whatever `batches` is, so the setup's allocations cancel between runs.
        // Sealed in place after room for a relay envelope, as the outbound thread does.
        let slots = Slots(count: batches * batch + 1, slotBytes: RelayEnvelope.byteCount + datagramBytes)
        let header = ipv4Header(total: packetBytes, protocol: 17)
        let aliceSnapshot = pair.aliceSnapshot
        for i in 0..<slots.count {
            let slot = slots.slot(i)
            header.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: slot[DataPath.payloadOffset...]).copyMemory(from: $0) }
            fillPayload(UnsafeMutableRawBufferPointer(rebasing: slot[(DataPath.payloadOffset + 20)..<(DataPath.payloadOffset + packetBytes)]))
            guard case .send(RelayEnvelope.byteCount, datagramBytes, _, _) = DataPath.outbound(slot, count: packetBytes, snapshot: aliceSnapshot,
                                                                       now: pair.now.instant) else { fatalError("setup: not sealed") }
        }
        // The first packet confirms bob's keypair, once, as in real life.
        var notices = DataPath.Notices()
        let first = UnsafeMutableRawBufferPointer(rebasing: slots.slot(0)[RelayEnvelope.byteCount..<RelayEnvelope.byteCount + datagramBytes])
        guard case .deliver = DataPath.inbound(first, from: pair.aliceEndpoint, snapshot: pair.bobSnapshot, now: pair.now.instant,
                                               notices: &notices) else { fatalError("setup: first packet refused") }
        if let keypair = notices.confirmed { pair.bob.confirmed(keypair) }
        let snapshot = pair.bobSnapshot
        var delivered = 0
        for b in 0..<batches {
            delivered += measureInbound(slots, first: 1 + b * batch, datagramBytes: datagramBytes, source: pair.aliceEndpoint,
                                        snapshot: snapshot, now: pair.now.instant)
        }
        return delivered
    }

    @inline(never)
    static func measureInbound(_ slots: Slots, first: Int, datagramBytes: Int, source: Endpoint, snapshot: RoutingSnapshot,
                               now: Instant) -> Int {
        var delivered = 0
        for i in first..<first + batch {
            var notices = DataPath.Notices()
            let datagram = UnsafeMutableRawBufferPointer(rebasing: slots.slot(i)[RelayEnvelope.byteCount..<RelayEnvelope.byteCount + datagramBytes])
            switch DataPath.inbound(datagram, from: source, snapshot: snapshot, now: now, notices: &notices) {
            case .deliver(_, let length): delivered += length
            default: fatalError("inbound packet not delivered")
            }
        }
        return delivered
    }

    // MARK: segmentation (TSO super-packet from the TUN device → MSS segments)

    /// Cuts `count` 64 KB super-packets into 47 segments each; returns the segment count.
    static func segmentation(count: Int) -> Int {
        let payload = segmentsPerSuperPacket * mss
        let total = 20 + tcpHeaderBytes + payload
        let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
        defer { packet.deallocate() }
        let headers = ipv4Header(total: total, protocol: 6) + tcpHeader(sequence: 1_000_000, flags: 0x18)
        headers.withUnsafeBytes { packet.copyMemory(from: $0) }
        fillPayload(UnsafeMutableRawBufferPointer(rebasing: packet[headers.count...]))
        // The TCP checksum field holds the pseudo-header sum (CHECKSUM_PARTIAL), as from the kernel.
        let pseudo = InternetChecksum.pseudoHeaderSum(UnsafeRawBufferPointer(packet), protocol: 6, length: total - 20)
        packet.storeBytes(of: ~InternetChecksum.finish(pseudo), toByteOffset: 36, as: UInt16.self)
        let header = VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, segmentation: .tcpv4,
                                     headerLength: UInt16(headers.count), segmentSize: UInt16(mss), checksumStart: 20,
                                     checksumOffset: 16)
        let slots = Slots(count: batch, slotBytes: DataPath.payloadOffset + 1420 + TransportHeader.tagByteCount)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: batch)
        defer { lengths.deallocate() }
        var segments = 0
        for _ in 0..<count {
            segments += measureSegmentation(UnsafeRawBufferPointer(packet), header: header, slots: slots, lengths: lengths)
        }
        return segments
    }

    @inline(never)
    static func measureSegmentation(_ packet: UnsafeRawBufferPointer, header: VirtioNetHeader, slots: Slots,
                                    lengths: UnsafeMutablePointer<Int>) -> Int {
        cutSuperPacket(packet, header: header, slots: slots, lengths: lengths)
    }

    /// Separate from `measureSegmentation` only so that its closures are named after this
    /// function: callgrind's `--toggle-collect` pattern must match exactly one symbol.
    @inline(__always)
    static func cutSuperPacket(_ packet: UnsafeRawBufferPointer, header: VirtioNetHeader, slots: Slots,
                               lengths: UnsafeMutablePointer<Int>) -> Int {
        let result = TCPSegmenter.segment(packet, header: header, maxSegments: batch, offset: DataPath.payloadOffset,
                                          output: { slots.slot($0) }, setLength: { lengths[$0] = DataPath.payloadOffset + $1 })
        guard case .success(let n) = result, n == segmentsPerSuperPacket else { fatalError("segmentation failed") }
        return n
    }

    // MARK: coalescing (decrypted segments of one flow → GSO super-packets for the TUN device)

    /// Joins `batches` receive batches of 64 consecutive 1368-byte segments of one TCP flow
    /// (47 + 17 after the 64 KB limit); returns the packets that would be written.
    static func coalescing(batches: Int) -> Int {
        // Receive slots hold a whole 64 KB packet each, as DatagramReceiveBatch's do.
        let slots = Slots(count: batch, slotBytes: DataPath.payloadOffset + 65535 + 10)
        let segmentBytes = 20 + tcpHeaderBytes + mss
        let headerBytes = 20 + tcpHeaderBytes
        // Every slot's original headers, to undo what joining writes into a head segment.
        let original = Slots(count: batch, slotBytes: headerBytes)
        for k in 0..<batch {
            let headers = ipv4Header(total: segmentBytes, protocol: 6) + tcpHeader(sequence: UInt32(1_000_000 + k * mss))
            let slot = slots.slot(k)
            headers.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: slot[DataPath.payloadOffset...]).copyMemory(from: $0)
                original.slot(k).copyMemory(from: $0)
            }
            fillPayload(UnsafeMutableRawBufferPointer(rebasing: slot[(DataPath.payloadOffset + headerBytes)..<(DataPath.payloadOffset + segmentBytes)]))
        }
        var coalescer = TCPCoalescer(capacity: batch)
        var written = 0
        for _ in 0..<batches {
            written += measureCoalescing(&coalescer, slots: slots, segmentBytes: segmentBytes)
            for k in 0..<batch {
                (slots.base + k * slots.strideBytes + DataPath.payloadOffset).copyMemory(from: original.slot(k).baseAddress!,
                                                                                         byteCount: headerBytes)
            }
        }
        return written
    }

    @inline(never)
    static func measureCoalescing(_ coalescer: inout TCPCoalescer, slots: Slots, segmentBytes: Int) -> Int {
        coalesceBatch(&coalescer, slots: slots, segmentBytes: segmentBytes)
    }

    /// Separate from `measureCoalescing` only so that its closure is named after this function.
    @inline(__always)
    static func coalesceBatch(_ coalescer: inout TCPCoalescer, slots: Slots, segmentBytes: Int) -> Int {
        for k in 0..<batch {
            coalescer.add(buffer: slots.slot(k), offset: DataPath.payloadOffset, length: segmentBytes)
        }
        var written = 0
        var bytes = 0
        coalescer.drain { _, _, length, _ in
            written += 1
            bytes += length
        }
        precondition(written == 2 && bytes == 2 * (20 + tcpHeaderBytes) + batch * mss, "coalescing produced \(written) packets")
        return written
    }
}
