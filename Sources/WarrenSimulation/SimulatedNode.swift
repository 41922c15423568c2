import WarrenCrypto
import WarrenDHT
import WarrenPKI
import WarrenWire

/// One simulated machine: the real `DHTNode` it runs, the identity it publishes, and what the
/// simulator needs to drive it (whether it is up, when its timer is armed).
struct SimulatedNode {
    var dht: DHTNode
    /// The Ed25519 seed of the node's key (a `SigningKey` is made from it to sign records).
    let keySeed: Key32
    let certificate: Certificate
    /// Where its record lives: the key derived from its overlay address.
    let addressKey: NodeID
    /// Its side of the network in a partition.
    let half: UInt8

    /// Answers messages (it has not left).
    var isUp = true
    /// Its bootstrap lookup finished: it may look others up and publish.
    var isReady = false
    var sequence: UInt64 = 0
    /// When its first publication reached the closest nodes (simulated nanoseconds).
    var publishedAt: UInt64?
    /// When its armed timer fires (simulated nanoseconds); 0 when none is armed.
    var timerAt: UInt64 = 0
    var upPosition = -1
    var readyPosition = -1
}

/// Where a simulated node sits on the underlay: 100.64.0.0/10 plus its index, so a contact's
/// endpoint names the node without a table.
enum SimulatedAddress {
    static let base: UInt32 = 0x6440_0000
    static let capacity = 1 << 22
    static let port: UInt16 = 51820

    static func endpoint(of index: Int) -> Endpoint {
        Endpoint(address: .v4(IPv4Address(base + UInt32(index))), port: port)
    }

    static func index(of endpoint: Endpoint) -> Int? {
        guard case .v4(let a) = endpoint.address, a.value >= base, a.value - base < UInt32(capacity) else { return nil }
        return Int(a.value - base)
    }

    /// The overlay address in the node's certificate: 10.0.0.0/8 plus its index plus one.
    static func overlay(of index: Int) -> IPv4Address {
        IPv4Address(0x0A00_0000 + UInt32(index) + 1)
    }
}
