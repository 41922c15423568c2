import Testing
import WarrenCrypto
import WarrenWire
@testable import WarrenCircuit

@Suite("Circuit messages")
struct CircuitMessageTests {
    @Test("a message re-decodes to itself, header in network order")
    func roundTrip() throws {
        let message = CircuitMessage(kind: .backward, circuitID: 0x0102_0304, counter: 0x1122_3344_5566_7788,
                                     body: Array(repeating: 0xab, count: 16 * 3 + 5))
        let bytes = message.encoded
        #expect(Array(bytes.prefix(14)) == [0x06, 2, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        #expect(try CircuitMessage(parsing: bytes) == message)
    }

    @Test("another control kind, an unknown type, a body without a tag or a short handshake is refused", arguments: [
        ([0x05, 1] + [UInt8](repeating: 0, count: 28), "invalid control kind"),
        ([0x06, 5] + [UInt8](repeating: 0, count: 28), "invalid circuit message type"),
        ([0x06, 0] + [UInt8](repeating: 0, count: 28), "invalid circuit message type"),
        ([0x06, 3] + [UInt8](repeating: 0, count: 12 + 47), "truncated: needed 62 bytes, had 61"),
        ([0x06, 1] + [UInt8](repeating: 0, count: 27), "truncated: needed 30 bytes, had 29"),
        ([0x06, 1, 0, 0], "truncated"),
        ([], "truncated"),
    ])
    func refused(bytes: [UInt8], problem: String) {
        #expect {
            try CircuitMessage(parsing: bytes)
        } throws: { error in
            (error as? WireError)?.description.hasPrefix(problem) == true
        }
    }

    @Test("commands re-decode to themselves and are told from IP packets by their first byte")
    func commands() throws {
        let extend = CircuitCommand.extend(node: Key32(bytes: Array(1...32))!, request: Array(repeating: 9, count: 48))
        let extended = CircuitCommand.extended(reply: Array(repeating: 8, count: 60))
        let others: [CircuitCommand] = [.cover, .attach(token: UInt128.max - 7), .probe(nonce: 3), .probeReply(nonce: .max)]
        for command in [extend, extended] + others {
            #expect(try CircuitCommand(parsing: command.encoded) == command)
            #expect(CircuitCommand.isCommand(command.encoded))
        }
        // Padded like packets, they still read the same.
        for command in others {
            var padded = command.encoded
            CircuitPadding.buckets.pad(&padded, mtu: CircuitMessage.circuitMTU)
            #expect(try padded.count == 128 && CircuitCommand(parsing: padded) == command)
        }
        #expect(throws: WireError.self) { try CircuitCommand(parsing: [0x04] + Array(repeating: 0, count: 15)) }
        #expect(throws: WireError.self) { try CircuitCommand(parsing: [0x05, 1, 2]) }
        #expect(!CircuitCommand.isCommand([0x45, 0, 0, 20]) && !CircuitCommand.isCommand([0x60, 0, 0, 0]))
        #expect(throws: WireError.self) { try CircuitCommand(parsing: [0x01] + Array(1...32) + Array(repeating: 0, count: 47)) }
        #expect(throws: WireError.self) { try CircuitCommand(parsing: [0x02] + Array(repeating: 0, count: 47)) }
        #expect(throws: WireError.self) { try CircuitCommand(parsing: [0x07] + Array(repeating: 0, count: 64)) }
        #expect(throws: WireError.self) { try CircuitCommand(parsing: []) }
    }
}
