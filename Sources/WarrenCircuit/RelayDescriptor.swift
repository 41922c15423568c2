public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

/// A relay's signed statement of how circuits reach it: its certificate (which says it may
/// relay, and its family and capacity class, as the CA set them), the onion keys circuits
/// handshake with, and where it listens. Signed with the node key, published hourly.
///
/// Encoding (big-endian), then a 64-byte Ed25519 signature by the certificate's key over
/// `"warren relay descriptor v1" ‖ body`:
/// ```
///  version(1) = 1 ‖ certificate length(2) ‖ certificate ‖ published at(8) ‖ expires at(8) ‖
///  onion key count(1: 1 or 2) ‖ (onion key(32) ‖ valid until(8))… ‖ endpoint count(1) ‖ endpoints
/// ```
public struct RelayDescriptor: Hashable, Sendable {
    public static let version: UInt8 = 1
    public static let maxEndpoints = 4
    /// The current onion key, and the previous one while it overlaps.
    public static let maxOnionKeys = 2
    public static let maxEncodedBytes = 1400

    public struct OnionKey: Hashable, Sendable {
        public let key: Key32
        public let validUntil: UInt64

        public init(key: Key32, validUntil: UInt64) {
            self.key = key
            self.validUntil = validUntil
        }
    }

    public var certificate: [UInt8]
    public var publishedAt: UInt64
    public var expiresAt: UInt64
    public var onionKeys: [OnionKey]
    public var endpoints: [Endpoint]
    public var signature: [UInt8]

    public init(signing key: borrowing SigningKey, certificate: Certificate, onionKeys: [OnionKey], endpoints: [Endpoint],
                publishedAt: UInt64, expiresAt: UInt64) {
        self.certificate = certificate.encoded
        self.onionKeys = Array(onionKeys.prefix(Self.maxOnionKeys))
        self.endpoints = Array(endpoints.prefix(Self.maxEndpoints))
        self.publishedAt = publishedAt
        self.expiresAt = expiresAt
        signature = []
        signature = key.sign(signedBytes)
    }

    var signedBytes: [UInt8] {
        var w = WireWriter(capacity: 128 + certificate.count)
        w.write(bytes: Array("warren relay descriptor v1".utf8))
        encodeBody(into: &w)
        return w.bytes
    }

    func encodeBody(into w: inout WireWriter) {
        w.write(Self.version)
        w.writeLongBytes(certificate)
        w.write(publishedAt)
        w.write(expiresAt)
        w.write(UInt8(onionKeys.count))
        for onion in onionKeys {
            w.write(bytes: onion.key.bytes)
            w.write(onion.validUntil)
        }
        w.write(UInt8(endpoints.count))
        for endpoint in endpoints { endpoint.encode(into: &w) }
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 192 + certificate.count)
        encodeBody(into: &w)
        w.write(bytes: signature)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count <= Self.maxEncodedBytes else { throw .invalidField("descriptor length \(bytes.count)") }
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            let version = try r.readUInt8()
            guard version == Self.version else { throw .unsupported("descriptor version \(version)") }
            let certificate = try r.readLongBytes(maxCount: UncheckedCertificate.maxEncodedBytes)
            let publishedAt = try r.readUInt64()
            let expiresAt = try r.readUInt64()
            let keyCount = Int(try r.readUInt8())
            guard (1...Self.maxOnionKeys).contains(keyCount) else { throw .invalidField("descriptor onion key count \(keyCount)") }
            var onionKeys: [OnionKey] = []
            for _ in 0..<keyCount {
                onionKeys.append(OnionKey(key: Key32(copying: try r.readSlice(32)), validUntil: try r.readUInt64()))
            }
            let endpointCount = Int(try r.readUInt8())
            guard (1...Self.maxEndpoints).contains(endpointCount) else {
                throw .invalidField("descriptor endpoint count \(endpointCount)")
            }
            var endpoints: [Endpoint] = []
            for _ in 0..<endpointCount { endpoints.append(try Endpoint(parsing: &r)) }
            return RelayDescriptor(certificate: certificate, publishedAt: publishedAt, expiresAt: expiresAt, onionKeys: onionKeys,
                                   endpoints: endpoints, signature: try r.readBytes(SigningKey.signatureByteCount))
        }
    }

    private init(certificate: [UInt8], publishedAt: UInt64, expiresAt: UInt64, onionKeys: [OnionKey], endpoints: [Endpoint],
                 signature: [UInt8]) {
        self.certificate = certificate
        self.publishedAt = publishedAt
        self.expiresAt = expiresAt
        self.onionKeys = onionKeys
        self.endpoints = endpoints
        self.signature = signature
    }

    /// What path choice may use of this descriptor at `now`: its certificate verifies against
    /// our CA, grants the relay role and signed the descriptor, which has not expired, and
    /// an onion key is still valid (the one valid longest is used).
    public func verify(authority: AuthorityCertificate, now: UInt64) throws(RelayDescriptorError) -> CircuitRelayInfo {
        let node: Certificate
        do {
            node = try UncheckedCertificate(parsing: certificate).verify(authority: authority, atUnixTime: now)
        } catch {
            throw .certificate(error)
        }
        guard node.body.roles.contains(.relay) else { throw .notARelay }
        guard Ed25519.verify(signature: signature, message: signedBytes, publicKey: node.publicKey) else { throw .badSignature }
        guard now < expiresAt, publishedAt <= expiresAt else { throw .expired }
        guard let onion = onionKeys.filter({ now < $0.validUntil }).max(by: { $0.validUntil < $1.validUntil }) else {
            throw .noValidOnionKey
        }
        return CircuitRelayInfo(node: node.publicKey, onionKey: onion.key, underlay: endpoints[0].address,
                                family: node.body.family, capacity: Int(node.body.capacity), overlay: node.body.ipv4.address,
                                name: node.body.name)
    }
}

/// Why a relay descriptor cannot be used.
public enum RelayDescriptorError: Error, Equatable, Sendable, CustomStringConvertible {
    case certificate(CertificateError)
    case notARelay
    case badSignature
    case expired
    case noValidOnionKey

    public var description: String {
        switch self {
        case .certificate(let error): "relay descriptor: \(error)"
        case .notARelay: "relay descriptor from a node without the relay role"
        case .badSignature: "relay descriptor signature does not verify"
        case .expired: "relay descriptor expired"
        case .noValidOnionKey: "relay descriptor has no onion key valid now"
        }
    }
}
