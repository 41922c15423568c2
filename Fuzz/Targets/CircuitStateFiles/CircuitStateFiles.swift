// The JSON a circuit sender or relay keeps in its state directory (`CircuitStateFile`): its
// guards (`GuardSet`) and its relay directory (`SavedDirectory`), as JSONDecoder reads them
// at start. The first byte picks which (even: guards, odd: directory); the rest is the file.
//
// Invariants:
// - A decoded guard set holds at most 20 guards, each relay once, each sampled before it
//   expires, with no more successes than builds; it encodes to JSON that decodes to it.
// - A decoded directory encodes to JSON that decodes to it; restored, it lists only relays
//   whose descriptor carol (a relay of the fixture CA) signed, since a fuzzer cannot sign,
//   and it counts as complete only if some descriptor was restored.
import FoundationEssentials
import FuzzFixtures
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenPKI
import WarrenWire

let now: UInt64 = 2_000
let net = FuzzNetwork.shared

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let onion = RelayDescriptor.OnionKey(key: Key32(bytes: Array(repeating: 1, count: 32))!, validUntil: now + 100)
    let descriptor = RelayDescriptor(signing: net.carolKey(), certificate: net.carol, onionKeys: [onion],
                                     endpoints: [Endpoint("198.51.100.3:51820")!], publishedAt: now, expiresAt: now + 3600)
    let directory = SavedDirectory(sources: [net.alice.publicKey, net.bob.publicKey, net.carol.publicKey], descriptors: [descriptor])
    var guards = GuardSet()
    var random = SeededRandom(seed: 1)
    let relays = (1...3).map { CircuitRelayInfo(node: Key32(bytes: Array(repeating: $0, count: 32))!, onionKey: onion.key,
                                                underlay: IPAddress("198.51.100.\($0)")!) }
    guards.update(listed: relays, now: now, random: &random)
    _ = guards.recordBuild(through: relays[0].node, succeeded: false, now: now)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    Fuzz.writeSeedsIfRequested([
        ("guards", [0] + Array(try! encoder.encode(guards))),
        ("directory", [1] + Array(try! encoder.encode(directory))),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard let choice = bytes.first else { return 0 }
    let file = Data(bytes.dropFirst())
    if choice % 2 == 0 {
        guard let guards = try? JSONDecoder().decode(GuardSet.self, from: file) else { return 0 }
        Fuzz.check(guards.sampled.count <= GuardSet.maxSampled, "\(guards.sampled.count) guards taken back")
        Fuzz.check(Set(guards.sampled.map(\.node)).count == guards.sampled.count, "a relay sampled twice taken back")
        Fuzz.check(guards.sampled.allSatisfy { $0.sampledAt < $0.expiresAt && 0 <= $0.successes && $0.successes <= $0.builds },
                   "a guard with impossible times or counts taken back")
        let again = try? JSONDecoder().decode(GuardSet.self, from: JSONEncoder().encode(guards))
        Fuzz.check(again == guards, "a guard set does not survive its own encoding")
    } else {
        guard let saved = try? JSONDecoder().decode(SavedDirectory.self, from: file) else { return 0 }
        let again = try? JSONDecoder().decode(SavedDirectory.self, from: JSONEncoder().encode(saved))
        Fuzz.check(again == saved, "a saved directory does not survive its own encoding")
        var directory = RelayDirectory()
        directory.restore(saved, authority: net.authority, now: now)
        let relays = directory.relays(now: now)
        Fuzz.check(relays.allSatisfy { $0.node == net.carol.publicKey }, "a relay carol did not sign was restored")
        Fuzz.check(!directory.isComplete || !relays.isEmpty, "complete with nothing restored")
    }
    return 0
}
