import Testing
import WarrenCrypto
import WarrenPKI
import WarrenWire
@testable import WarrenCircuit

@Suite("Directory messages")
struct DirectoryMessageTests {
    @Test("a request, a shard request, a descriptor, a store, a reach check and its answer survive the wire")
    func roundTrip() throws {
        #expect(try DirectoryMessage(parsing: DirectoryMessage.request.encoded) == .request)
        let descriptor = DescriptorFixture().descriptor(onionKeys: [.init(key: RelayDescriptorTests.onion, validUntil: DescriptorFixture.now + 60)])
        let endpoints = [Endpoint("198.51.100.7:51820")!, Endpoint("[2001:db8::7]:51820")!]
        for message in [DirectoryMessage.descriptor(descriptor), .store(descriptor), .shardRequest(shards: 1), .shardRequest(shards: 0xFF),
                        .reachCheck(endpoints), .reached(endpoints), .reached([])] {
            #expect(try DirectoryMessage(parsing: message.encoded) == message)
        }
    }

    @Test("another kind, an unknown type, a request with a body, a bad descriptor, a shard request for none, a reach check of no or five endpoints, trailing bytes and nothing are refused")
    func refused() {
        let descriptor = DescriptorFixture().descriptor(onionKeys: [.init(key: RelayDescriptorTests.onion, validUntil: DescriptorFixture.now + 60)]).encoded
        for bytes: [UInt8] in [[], [7], [6, 1], [7, 3], [7, 1, 0], [7, 2] + descriptor.dropLast(), [7, 2],
                             [7, 3] + descriptor.dropLast(), [7, 4], [7, 4, 0], [7, 4, 1, 2], [7, 7],
                             [7, 5, 0], [7, 5], [7, 6], [7, 5, 5] + Array(repeating: 0, count: 35), [7, 6, 1, 4, 1, 2, 3],
                             DirectoryMessage.reached([Endpoint("198.51.100.7:51820")!]).encoded + [0]] {
            #expect(throws: WireError.self, "\(bytes.prefix(3))") { try DirectoryMessage(parsing: bytes) }
        }
    }
}
