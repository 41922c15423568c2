// RelayDescriptor(parsing:) and verify(authority:now:): a relay's signed descriptor, as any
// member can store it in the DHT or gossip it; and DirectoryMessage(parsing:), which
// carries descriptors between nodes (an input starting 0x07 is read as one).
//
// Invariants:
// - A decoded descriptor re-encodes to exactly the input bytes, within its limits (1–2 onion
//   keys, 1–4 endpoints).
// - Only a descriptor carol (a relay of the fixture CA) signed verifies: a fuzzer cannot
//   sign, so anything else accepted is a forgery; what verifies names carol's key and one of
//   the onion keys the descriptor carries.
// - A directory message is a bare request, a shard request for at least one shard, a
//   descriptor or store message whose descriptor decodes on its own, or a reach check of
//   1–4 endpoints or its answer of 0–4, and re-encodes to its input.
import FuzzFixtures
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenPKI
import WarrenWire

let now: UInt64 = 2_000
nonisolated(unsafe) var genuine: [[UInt8]] = []

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let net = FuzzNetwork.shared
    let onion = (1...2).map { RelayDescriptor.OnionKey(key: Key32(bytes: Array(repeating: UInt8($0), count: 32))!, validUntil: now + 100) }
    genuine = [
        RelayDescriptor(signing: net.carolKey(), certificate: net.carol, onionKeys: [onion[0]],
                        endpoints: [Endpoint("198.51.100.3:51820")!], publishedAt: now, expiresAt: now + 3600).encoded,
        RelayDescriptor(signing: net.carolKey(), certificate: net.carol, onionKeys: onion,
                        endpoints: [Endpoint("198.51.100.3:51820")!, Endpoint("[2001:db8::3]:51820")!],
                        publishedAt: now, expiresAt: now + 3600).encoded,
    ]
    Fuzz.writeSeedsIfRequested(genuine.enumerated().map { ("carol-\($0.offset)", $0.element) } + [
        ("directory-request", DirectoryMessage.request.encoded),
        ("directory-carol", [DirectoryMessage.controlKind, 2] + genuine[1]),
        ("directory-store-carol", DirectoryMessage.store(try! RelayDescriptor(parsing: genuine[0])).encoded),
        ("directory-shards", DirectoryMessage.shardRequest(shards: 0b1010_0001).encoded),
        ("directory-reach-check", DirectoryMessage.reachCheck([Endpoint("198.51.100.3:51820")!, Endpoint("[2001:db8::3]:51820")!]).encoded),
        ("directory-reached", DirectoryMessage.reached([Endpoint("198.51.100.3:51820")!]).encoded),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    if bytes.first == DirectoryMessage.controlKind {
        guard let message = try? DirectoryMessage(parsing: bytes) else { return 0 }
        Fuzz.check(message.encoded == bytes, "directory message does not re-encode to its input")
        switch message {
        case .descriptor(let descriptor), .store(let descriptor):
            Fuzz.check((try? RelayDescriptor(parsing: Array(bytes.dropFirst(2)))) == descriptor, "descriptor message's descriptor misread")
        case .shardRequest(let shards):
            Fuzz.check(shards != 0 && bytes.count == 3, "\(bytes) read as a shard request")
        case .reachCheck(let endpoints):
            Fuzz.check((1...4).contains(endpoints.count), "a reach check of \(endpoints.count) endpoints")
        case .reached(let endpoints):
            Fuzz.check(endpoints.count <= 4, "a reach answer of \(endpoints.count) endpoints")
        case .request:
            Fuzz.check(bytes == [DirectoryMessage.controlKind, 1], "\(bytes) read as a request")
        }
        return 0
    }
    guard let descriptor = try? RelayDescriptor(parsing: bytes) else { return 0 }
    Fuzz.check(descriptor.encoded == bytes, "descriptor does not re-encode to its input")
    Fuzz.check((1...2).contains(descriptor.onionKeys.count) && (1...4).contains(descriptor.endpoints.count),
               "\(descriptor.onionKeys.count) onion keys and \(descriptor.endpoints.count) endpoints accepted")
    guard let info = try? descriptor.verify(authority: FuzzNetwork.shared.authority, now: now) else { return 0 }
    Fuzz.check(genuine.contains(bytes), "a descriptor carol never signed verified")
    Fuzz.check(info.node == FuzzNetwork.shared.carol.publicKey && descriptor.onionKeys.contains { $0.key == info.onionKey },
               "a verified descriptor named another relay or onion key")
    return 0
}
