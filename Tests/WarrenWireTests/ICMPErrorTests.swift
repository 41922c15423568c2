import Testing
@testable import WarrenWire

@Suite("ICMP errors")
struct ICMPErrorTests {
    let echo: [UInt8] = {
        var p: [UInt8] = [0x45, 0, 0, 28, 0x12, 0x34, 0, 0, 64, 1, 0, 0, 10, 8, 0, 1, 10, 8, 0, 99]
        p += [8, 0, 0xf7, 0xff, 0, 0, 0, 0]   // echo request
        return p
    }()

    @Test("an IPv4 packet to an unknown host gets host unreachable, quoting its header and 8 bytes")
    func ipv4() throws {
        let reply = try #require(ICMPError.reply(.unreachable, to: echo))
        #expect(reply.count == 20 + 8 + 28)
        #expect(Array(reply[12..<16]) == [10, 8, 0, 99])
        #expect(Array(reply[16..<20]) == [10, 8, 0, 1])
        #expect(reply[9] == 1 && reply[20] == 3 && reply[21] == 1)
        #expect(Array(reply[28...]) == echo)
        reply.withUnsafeBytes {
            #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[0..<20])))
            #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[20...])))
        }
    }

    @Test("an IPv6 packet gets address unreachable with a valid checksum")
    func ipv6() throws {
        var p: [UInt8] = [0x60, 0, 0, 0, 0, 8, 58, 64] + IPv6Address("fd00::a08:1")!.bytes + IPv6Address("fd00::a08:63")!.bytes
        p += [128, 0, 0, 0, 0, 0, 0, 0]
        let from = IPv6Address("fd00::a08:63")!, to = IPv6Address("fd00::a08:1")!
        let reply = try #require(ICMPError.reply(.unreachable, to: p))
        #expect(reply[6] == 58 && reply[40] == 1 && reply[41] == 3)
        let sum = ICMPError.pseudoHeader(from: from, to: to, length: reply.count - 40)
        reply.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[40...]), pseudoHeaderSum: sum)) }
    }

    @Test("errors are not answered with errors, and garbage gets nothing")
    func noErrorForErrors() {
        let error = ICMPError.reply(.unreachable, to: echo)!
        #expect(ICMPError.reply(.unreachable, to: error) == nil)
        #expect(ICMPError.reply(.unreachable, to: [0x45, 0, 0]) == nil)
    }

    @Test("a packet too big for the path gets fragmentation needed with the MTU (IPv4 with DF) or packet too big (IPv6)")
    func tooBig() throws {
        var df = echo
        df[6] = 0x40
        let reply = try #require(ICMPError.reply(.tooBig(mtu: 1360), to: df))
        #expect(reply[20] == 3 && reply[21] == 4 && Array(reply[24..<28]) == [0, 0, 0x05, 0x50])
        #expect(Array(reply[28...]) == df)
        reply.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[20...]))) }
        // Without DF the sender's stack may fragment: no such error exists for it.
        #expect(ICMPError.reply(.tooBig(mtu: 1360), to: echo) == nil)

        var p: [UInt8] = [0x60, 0, 0, 0, 0, 8, 58, 64] + IPv6Address("fd00::a08:1")!.bytes + IPv6Address("fd00::a08:63")!.bytes
        p += [128, 0, 0, 0, 0, 0, 0, 0]
        let v6 = try #require(ICMPError.reply(.tooBig(mtu: 1360), to: p))
        #expect(v6[40] == 2 && v6[41] == 0 && Array(v6[44..<48]) == [0, 0, 0x05, 0x50])
        let sum = ICMPError.pseudoHeader(from: IPv6Address("fd00::a08:63")!, to: IPv6Address("fd00::a08:1")!, length: v6.count - 40)
        v6.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[40...]), pseudoHeaderSum: sum)) }
    }

    @Test("a packet an exit refuses gets administratively prohibited: type 3 code 13 (IPv4), type 1 code 1 (IPv6)")
    func prohibited() throws {
        let reply = try #require(ICMPError.reply(.prohibited, to: echo))
        #expect(reply[20] == 3 && reply[21] == 13 && Array(reply[28...]) == echo)
        reply.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[20...]))) }
        var p: [UInt8] = [0x60, 0, 0, 0, 0, 8, 58, 64] + IPv6Address("2001:db8::1")!.bytes + IPv6Address("2001:db8::2")!.bytes
        p += [128, 0, 0, 0, 0, 0, 0, 0]
        let v6 = try #require(ICMPError.reply(.prohibited, to: p))
        #expect(v6[40] == 1 && v6[41] == 1)
        let sum = ICMPError.pseudoHeader(from: IPv6Address("2001:db8::2")!, to: IPv6Address("2001:db8::1")!, length: v6.count - 40)
        v6.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[40...]), pseudoHeaderSum: sum)) }
    }
}
