public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

/// A node's signed statement of where it can be reached, stored in the DHT under keys derived
/// from its overlay address and its node ID (`RecordKey`).
///
/// Encoding (big-endian), then a 64-byte Ed25519 signature by the certificate's key over
/// `"warren record v2" ‖ body`:
/// ```
///  version(1) ‖ certificate length(2) ‖ certificate ‖ endpoint count(1) ‖ endpoints ‖
///  rendezvous count(1) ‖ (public key(32) ‖ endpoint)… ‖ sequence(8) ‖ expires at, unix seconds(8)
///  endpoint = family(1: 4 or 6) ‖ address(4 or 16) ‖ port(2)
/// ```
public struct PeerRecord: Hashable, Sendable {
    public static let version: UInt8 = 2
    public static let maxEndpoints = 8
    public static let maxRendezvous = 3
    public static let maxEncodedBytes = 1400

    public var certificate: [UInt8]
    public var endpoints: [Endpoint]
    /// Nodes this one keeps a session with that can pass it a request to punch a hole
    /// towards someone behind another NAT (`PunchMessage`).
    public var rendezvous: [Contact]
    /// Grows with every new version a node publishes; stores keep only the newest.
    public var sequence: UInt64
    public var expiresAt: UInt64
    public var signature: [UInt8]

    /// Signs a record for `key`, whose certificate is `certificate`.
    public init(signing key: borrowing SigningKey, certificate: Certificate, endpoints: [Endpoint],
                rendezvous: [Contact] = [], sequence: UInt64, expiresAt: UInt64) {
        self.certificate = certificate.encoded
        self.endpoints = Array(endpoints.prefix(Self.maxEndpoints))
        self.rendezvous = Array(rendezvous.prefix(Self.maxRendezvous))
        self.sequence = sequence
        self.expiresAt = expiresAt
        self.signature = []
        signature = key.sign(signedBytes)
    }

    var signedBytes: [UInt8] {
        var w = WireWriter(capacity: 64 + certificate.count)
        w.write(bytes: Array("warren record v2".utf8))
        encodeBody(into: &w)
        return w.bytes
    }

    func encodeBody(into w: inout WireWriter) {
        w.write(Self.version)
        w.writeLongBytes(certificate)
        w.write(UInt8(endpoints.count))
        for e in endpoints { e.encode(into: &w) }
        w.write(UInt8(rendezvous.count))
        for c in rendezvous {
            w.write(bytes: c.publicKey.bytes)
            c.endpoint.encode(into: &w)
        }
        w.write(sequence)
        w.write(expiresAt)
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 128 + certificate.count)
        encodeBody(into: &w)
        w.write(bytes: signature)
        return w.bytes
    }

    public init(parsing r: inout WireReader) throws(WireError) {
        let version = try r.readUInt8()
        guard version == Self.version else { throw .unsupported("record version \(version)") }
        certificate = try r.readLongBytes(maxCount: UncheckedCertificate.maxEncodedBytes)
        let count = Int(try r.readUInt8())
        guard count <= Self.maxEndpoints else { throw .invalidField("record endpoint count \(count)") }
        var endpoints: [Endpoint] = []
        for _ in 0..<count { endpoints.append(try Endpoint(parsing: &r)) }
        self.endpoints = endpoints
        let rendezvousCount = Int(try r.readUInt8())
        guard rendezvousCount <= Self.maxRendezvous else { throw .invalidField("record rendezvous count \(rendezvousCount)") }
        var rendezvous: [Contact] = []
        for _ in 0..<rendezvousCount {
            let key = Key32(copying: try r.readSlice(32))
            rendezvous.append(Contact(publicKey: key, endpoint: try Endpoint(parsing: &r)))
        }
        self.rendezvous = rendezvous
        sequence = try r.readUInt64()
        expiresAt = try r.readUInt64()
        signature = try r.readBytes(SigningKey.signatureByteCount)
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count <= Self.maxEncodedBytes else { throw .invalidField("record length \(bytes.count)") }
        self = try WireReader.decode(bytes) { (r) throws(WireError) in try PeerRecord(parsing: &r) }
    }
}

/// Where records live in the key space: one key per overlay address (so `ping 10.8.0.42`
/// can find its owner) and one per node ID (so a node can be found by identity).
public enum RecordKey {
    public static func address(_ address: IPv4Address) -> NodeID {
        NodeID(raw: Blake2b.hash32(Array("warren address key".utf8), address.bytes))
    }

    public static func node(_ id: NodeID) -> NodeID {
        NodeID(raw: Blake2b.hash32(Array("warren node key".utf8), id.raw.bytes))
    }
}
