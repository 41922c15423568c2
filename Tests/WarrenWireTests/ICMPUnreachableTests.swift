import Testing
@testable import WarrenWire

@Suite("ICMP destination unreachable")
struct ICMPUnreachableTests {
    let echo: [UInt8] = {
        var p: [UInt8] = [0x45, 0, 0, 28, 0x12, 0x34, 0, 0, 64, 1, 0, 0, 10, 8, 0, 1, 10, 8, 0, 99]
        p += [8, 0, 0xf7, 0xff, 0, 0, 0, 0]   // echo request
        return p
    }()

    @Test("an IPv4 packet to an unknown host gets host unreachable, quoting its header and 8 bytes")
    func ipv4() throws {
        let reply = try #require(ICMPUnreachable.reply(to: echo))
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
        let reply = try #require(ICMPUnreachable.reply(to: p))
        #expect(reply[6] == 58 && reply[40] == 1 && reply[41] == 3)
        let sum = ICMPUnreachable.pseudoHeader(from: from, to: to, length: reply.count - 40)
        reply.withUnsafeBytes { #expect(InternetChecksum.verifies(UnsafeRawBufferPointer(rebasing: $0[40...]), pseudoHeaderSum: sum)) }
    }

    @Test("errors are not answered with errors, and garbage gets nothing")
    func noErrorForErrors() {
        let error = ICMPUnreachable.reply(to: echo)!
        #expect(ICMPUnreachable.reply(to: error) == nil)
        #expect(ICMPUnreachable.reply(to: [0x45, 0, 0]) == nil)
    }
}
