import Testing
import WarrenCrypto
import WarrenWire

/// Every decoder against truncated, oversized and garbage input: each must throw a typed
/// error and never trap.
@Suite("Wire decoders refuse bad input")
struct MessageDecodingTests {
    func sampleInitiation() -> HandshakeInitiation {
        HandshakeInitiation(senderIndex: 0x01020304, noise: [UInt8](repeating: 7, count: 96 + 40),
                            mac1: [UInt8](repeating: 9, count: 16), mac2: [UInt8](repeating: 8, count: 16))
    }

    @Test("a handshake initiation round-trips")
    func initiationRoundTrip() throws {
        let m = sampleInitiation()
        #expect(try HandshakeInitiation(parsing: m.encoded) == m)
        #expect(m.encoded.prefix(8) == [1, 0, 0, 0, 4, 3, 2, 1])
    }

    @Test("a handshake response round-trips")
    func responseRoundTrip() throws {
        let m = HandshakeResponse(senderIndex: 5, receiverIndex: 6, noise: [UInt8](repeating: 1, count: 48 + 300),
                                  mac1: [UInt8](repeating: 2, count: 16))
        #expect(try HandshakeResponse(parsing: m.encoded) == m)
    }

    @Test("mac1 covers everything before it and mac2 everything before itself, mac1 included")
    func macCoverage() {
        let m = sampleInitiation()
        #expect(m.encoded == m.bytesBeforeMAC + m.mac1 + m.mac2)
        #expect(m.bytesBeforeMAC2 == Array(m.encoded.dropLast(16)))
        #expect(Array(m.encoded.suffix(32)) == [UInt8](repeating: 9, count: 16) + [UInt8](repeating: 8, count: 16))
    }

    @Test("a cookie reply is 64 bytes, round-trips, and is refused at any other length or with a wrong header")
    func cookieReply() throws {
        let m = CookieReply(receiverIndex: 0x0a0b0c0d, nonce: Array(0..<24), encryptedCookie: Array(100..<132))
        #expect(m.encoded.count == 64 && m.encoded.prefix(8) == [3, 0, 0, 0, 0x0d, 0x0c, 0x0b, 0x0a])
        #expect(try CookieReply(parsing: m.encoded) == m)
        for n in 0..<64 { #expect(throws: WireError.self) { try CookieReply(parsing: Array(m.encoded.prefix(n))) } }
        #expect(throws: WireError.self) { try CookieReply(parsing: m.encoded + [0]) }
        var header = m.encoded
        header[1] = 1
        #expect(throws: WireError.self) { try CookieReply(parsing: header) }
    }

    @Test("truncated handshakes are refused at every length")
    func truncatedHandshakes() {
        let i = sampleInitiation().encoded
        for n in 0..<(8 + 96 + 32) {
            #expect(throws: WireError.self) { try HandshakeInitiation(parsing: Array(i.prefix(n))) }
        }
        let r = HandshakeResponse(senderIndex: 1, receiverIndex: 2, noise: [UInt8](repeating: 0, count: 48)).encoded
        for n in 0..<r.count {
            #expect(throws: WireError.self) { try HandshakeResponse(parsing: Array(r.prefix(n))) }
        }
    }

    @Test("oversized handshakes and wrong headers are refused")
    func oversizedAndWrongType() {
        #expect(throws: WireError.self) { try HandshakeInitiation(parsing: [1, 0, 0, 0] + [UInt8](repeating: 0, count: 2000)) }
        var wrong = sampleInitiation().encoded
        wrong[0] = 2
        #expect(throws: WireError.self) { try HandshakeInitiation(parsing: wrong) }
        var reserved = sampleInitiation().encoded
        reserved[2] = 1
        #expect(throws: WireError.self) { try HandshakeInitiation(parsing: reserved) }
    }

    @Test("handshake payloads round-trip and refuse versions, lengths and trailing bytes")
    func payload() throws {
        let p = HandshakePayload(timestampSeconds: 1_800_000_000, timestampNanoseconds: 5, certificate: [1, 2, 3])
        #expect(try HandshakePayload(parsing: p.encoded) == p)
        var badVersion = p.encoded
        badVersion[0] = 9
        #expect(throws: WireError.unsupported("handshake payload version 9")) { try HandshakePayload(parsing: badVersion) }
        #expect(throws: WireError.trailingBytes(1)) { try HandshakePayload(parsing: p.encoded + [0]) }
        for n in 0..<p.encoded.count {
            #expect(throws: WireError.self) { try HandshakePayload(parsing: Array(p.encoded.prefix(n))) }
        }
        var badNanos = p.encoded
        badNanos.replaceSubrange(9..<13, with: [0xff, 0xff, 0xff, 0xff])
        #expect(throws: WireError.invalidField("timestamp nanoseconds")) { try HandshakePayload(parsing: badNanos) }
        let huge = HandshakePayload(timestampSeconds: 1, timestampNanoseconds: 0, certificate: [UInt8](repeating: 0, count: 1025))
        #expect(throws: WireError.self) { try HandshakePayload(parsing: huge.encoded) }
    }

    @Test("newer timestamps compare by seconds then nanoseconds")
    func timestamps() {
        let a = HandshakePayload(timestampSeconds: 10, timestampNanoseconds: 5, certificate: [])
        let b = HandshakePayload(timestampSeconds: 10, timestampNanoseconds: 6, certificate: [])
        #expect(b.isNewer(than: a))
        #expect(!a.isNewer(than: b))
        #expect(!a.isNewer(than: a))
        #expect(a.isNewer(than: nil))
    }

    @Test("transport headers round-trip; short or foreign packets are not transport packets")
    func transport() {
        var buffer = [UInt8](repeating: 0xee, count: TransportHeader.overhead)
        buffer.withUnsafeMutableBytes { TransportHeader.write(receiverIndex: 0xdeadbeef, counter: 42, into: $0) }
        let parsed = buffer.withUnsafeBytes { TransportHeader.parse($0) }
        #expect(parsed?.receiverIndex == 0xdeadbeef && parsed?.counter == 42)
        #expect(Array(buffer.prefix(4)) == [4, 0, 0, 0])
        #expect(Array(buffer.prefix(31)).withUnsafeBytes { TransportHeader.parse($0) } == nil)
        var other = buffer
        other[1] = 1
        #expect(other.withUnsafeBytes { TransportHeader.parse($0) } == nil)
    }

    @Test("message classification needs a known type and three zero bytes")
    func classify() {
        #expect(([4, 0, 0, 0] as [UInt8]).withUnsafeBytes { MessageType.classify($0) } == .transport)
        #expect(([1, 0, 0, 0] as [UInt8]).withUnsafeBytes { MessageType.classify($0) } == .handshakeInitiation)
        #expect(([9, 0, 0, 0] as [UInt8]).withUnsafeBytes { MessageType.classify($0) } == nil)
        #expect(([4, 0, 0] as [UInt8]).withUnsafeBytes { MessageType.classify($0) } == nil)
        // A STUN Binding request starts 0x00 0x01: never a Warren message.
        #expect(([0, 1, 0, 0] as [UInt8]).withUnsafeBytes { MessageType.classify($0) } == nil)
    }

    @Test("IP header fields are read only from long enough packets")
    func ipPacket() {
        var v4 = [UInt8](repeating: 0, count: 20)
        v4[0] = 0x45; v4[3] = 20
        v4.replaceSubrange(12..<16, with: [10, 8, 0, 1]); v4.replaceSubrange(16..<20, with: [10, 8, 0, 2])
        v4.withUnsafeBytes {
            #expect(IPPacket.source($0) == IPAddress("10.8.0.1"))
            #expect(IPPacket.destination($0) == IPAddress("10.8.0.2"))
            #expect(IPPacket.totalLength($0) == 20)
        }
        Array(v4.prefix(19)).withUnsafeBytes { #expect(IPPacket.destination($0) == nil) }
        var v6 = [UInt8](repeating: 0, count: 40)
        v6[0] = 0x60; v6[5] = 8; v6[39] = 1
        v6.withUnsafeBytes {
            #expect(IPPacket.destination($0) == IPAddress("::1"))
            #expect(IPPacket.totalLength($0) == 48)
        }
        Array(v6.prefix(39)).withUnsafeBytes { #expect(IPPacket.source($0) == nil) }
        [UInt8]().withUnsafeBytes { #expect(IPPacket.version($0) == nil) }
        ([0x50] as [UInt8]).withUnsafeBytes { #expect(IPPacket.destination($0) == nil) }
    }

    @Test("random bytes never trap any decoder")
    func garbage() {
        var rng = SeededRandom(seed: 99)
        for _ in 0..<2000 {
            let n = Int(rng.next(below: 200))
            var bytes = [UInt8](repeating: 0, count: n)
            bytes.withUnsafeMutableBytes { rng.fill($0) }
            if n > 4, rng.next(below: 2) == 0 { bytes[0] = UInt8(rng.next(below: 3) + 1); bytes[1] = 0; bytes[2] = 0; bytes[3] = 0 }
            _ = try? HandshakeInitiation(parsing: bytes)
            _ = try? HandshakeResponse(parsing: bytes)
            _ = try? HandshakePayload(parsing: bytes)
            bytes.withUnsafeBytes {
                _ = TransportHeader.parse($0)
                _ = IPPacket.source($0)
                _ = IPPacket.totalLength($0)
            }
        }
    }
}
