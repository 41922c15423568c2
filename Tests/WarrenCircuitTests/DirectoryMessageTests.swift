import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenCircuit

@Suite("Directory messages")
struct DirectoryMessageTests {
    @Test("a request, a shard request, a descriptor and a store survive the wire")
    func roundTrip() throws {
        #expect(try DirectoryMessage(parsing: DirectoryMessage.request.encoded) == .request)
        let descriptor = DescriptorFixture().descriptor(onionKeys: [.init(key: RelayDescriptorTests.onion, validUntil: DescriptorFixture.now + 60)])
        for message in [DirectoryMessage.descriptor(descriptor), .store(descriptor), .shardRequest(shards: 1), .shardRequest(shards: 0xFF)] {
            #expect(try DirectoryMessage(parsing: message.encoded) == message)
        }
    }

    @Test("another kind, an unknown type, a request with a body, a bad descriptor, a shard request for none and nothing are refused")
    func refused() {
        let descriptor = DescriptorFixture().descriptor(onionKeys: [.init(key: RelayDescriptorTests.onion, validUntil: DescriptorFixture.now + 60)]).encoded
        for bytes: [UInt8] in [[], [7], [6, 1], [7, 3], [7, 1, 0], [7, 2] + descriptor.dropLast(), [7, 2],
                             [7, 3] + descriptor.dropLast(), [7, 4], [7, 4, 0], [7, 4, 1, 2], [7, 5]] {
            #expect(throws: WireError.self, "\(bytes.prefix(3))") { try DirectoryMessage(parsing: bytes) }
        }
    }
}
