// The zero-copy header readers of the packet path: MessageType.classify (every datagram on
// the UDP port), TransportHeader.parse (every transport packet) and IPPacket (every packet
// read from the TUN device, and every decrypted one).
//
// The input buffer is exactly as long as the input, so AddressSanitizer reports any read
// past the end. Invariants:
// - classify names a type only for `type, 0, 0, 0, ...`.
// - TransportHeader.parse succeeds only for a transport packet with room for a tag, and
//   writing back what it read reproduces the 16 header bytes.
// - IPPacket reads the version nibble, and source, destination and total length from the
//   RFC 791 / RFC 8200 offsets, and only when the buffer holds a whole fixed header.
import FuzzSupport
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    var transport = [UInt8](repeating: 0, count: TransportHeader.overhead + 4)
    transport.withUnsafeMutableBytes { TransportHeader.write(receiverIndex: 0xdead_beef, counter: 42, into: $0) }
    let ipv4: [UInt8] = [0x45, 0, 0, 24, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2, 8, 0, 0xf7, 0xff]
    let ipv6: [UInt8] = [0x60, 0, 0, 0, 0, 4, 17, 64]
        + IPv6Address("fd00::1")!.bytes + IPv6Address("fd00::2")!.bytes + [1, 2, 3, 4]
    Fuzz.writeSeedsIfRequested([("transport", transport), ("ipv4", ipv4), ("ipv6", ipv6)])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let p = UnsafeRawBufferPointer(start: data, count: size)
    let bytes = Array(p)

    if let type = MessageType.classify(p) {
        Fuzz.check(size >= 4 && bytes[0] == type.rawValue && bytes[1...3].allSatisfy { $0 == 0 },
                   "classified \(bytes.prefix(4)) as \(type)")
    }

    if let (index, counter) = TransportHeader.parse(p) {
        Fuzz.check(size >= TransportHeader.overhead, "transport header parsed from \(size) bytes")
        Fuzz.check(MessageType.classify(p) == .transport, "transport header parsed from another type")
        var header = [UInt8](repeating: 0, count: TransportHeader.byteCount)
        header.withUnsafeMutableBytes { TransportHeader.write(receiverIndex: index, counter: counter, into: $0) }
        Fuzz.check(header[...] == bytes[..<TransportHeader.byteCount], "transport header does not re-encode")
    }

    let version = IPPacket.version(p)
    Fuzz.check(version == bytes.first.map { $0 >> 4 }, "version \(String(describing: version)) for \(bytes.prefix(1))")
    let source = IPPacket.source(p), destination = IPPacket.destination(p), total = IPPacket.totalLength(p)
    switch version {
    case 4 where size >= IPPacket.ipv4HeaderMin:
        Fuzz.check(source?.bytes == Array(bytes[12..<16]) && destination?.bytes == Array(bytes[16..<20]),
                   "IPv4 addresses misread")
        Fuzz.check(total == Int(bytes[2]) << 8 | Int(bytes[3]), "IPv4 total length misread")
    case 6 where size >= IPPacket.ipv6HeaderBytes:
        Fuzz.check(source?.bytes == Array(bytes[8..<24]) && destination?.bytes == Array(bytes[24..<40]),
                   "IPv6 addresses misread")
        Fuzz.check(total == IPPacket.ipv6HeaderBytes + (Int(bytes[4]) << 8 | Int(bytes[5])), "IPv6 payload length misread")
    default:
        Fuzz.check(source == nil && destination == nil && total == nil,
                   "header fields read from a \(size)-byte packet of version \(String(describing: version))")
    }
    return 0
}
