import Testing
import WarrenWire
@testable import WarrenCircuit

@Suite("Circuit messages")
struct CircuitMessageTests {
    @Test("a message re-decodes to itself, header in network order")
    func roundTrip() throws {
        let message = CircuitMessage(direction: .backward, circuitID: 0x0102_0304, counter: 0x1122_3344_5566_7788,
                                     body: Array(repeating: 0xab, count: 16 * 3 + 5))
        let bytes = message.encoded
        #expect(Array(bytes.prefix(14)) == [0x06, 2, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])
        #expect(try CircuitMessage(parsing: bytes) == message)
    }

    @Test("another control kind, an unknown direction or a body without a tag is refused", arguments: [
        ([0x05, 1] + [UInt8](repeating: 0, count: 28), "invalid control kind"),
        ([0x06, 3] + [UInt8](repeating: 0, count: 28), "invalid circuit direction"),
        ([0x06, 0] + [UInt8](repeating: 0, count: 28), "invalid circuit direction"),
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
}
