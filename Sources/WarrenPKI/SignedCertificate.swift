public import WarrenCrypto
import WarrenWire

/// A certificate as read from a file or a handshake: parsed, but not yet trusted. The only
/// way to a usable `Certificate` is `verify(authority:atUnixTime:)`, so unverified claims
/// cannot reach routing by accident.
public struct UncheckedCertificate: Sendable {
    public let body: CertificateBody
    public let signature: [UInt8]
    /// The exact bytes received, kept so fingerprints and re-sending need no re-encoding.
    public let encoded: [UInt8]

    public static let maxEncodedBytes = 1024

    public init(parsing bytes: [UInt8]) throws(CertificateError) {
        guard bytes.count <= Self.maxEncodedBytes else { throw .malformed(.invalidField("certificate length")) }
        do {
            (body, signature) = try WireReader.decode(bytes) { (r) throws(WireError) in
                let body = try CertificateBody(parsing: &r)
                let signature = try r.readBytes(SigningKey.signatureByteCount)
                return (body, signature)
            }
        } catch {
            throw .malformed(error)
        }
        encoded = bytes
    }

    init(body: CertificateBody, signature: [UInt8]) {
        var w = WireWriter(capacity: 256)
        body.encode(into: &w)
        w.write(bytes: signature)
        self.body = body
        self.signature = signature
        self.encoded = w.bytes
    }

    /// BLAKE2b-256 of the encoded certificate, as hex: what blocklists name.
    public var fingerprint: String { Encoding.hex(Blake2b.hash(encoded, outputCount: 32)) }

    var signatureVerifies: Bool {
        Ed25519.verify(signature: signature, message: body.signedBytes(), publicKey: body.issuer)
    }

    /// Whether `authority` issued and signed this certificate, whatever else is wrong with
    /// it (expiry, addresses): enough to trust what it says about who it names.
    public func isSigned(by authority: AuthorityCertificate) -> Bool {
        body.issuer == authority.publicKey && signatureVerifies
    }

    func checkValidity(atUnixTime now: UInt64) throws(CertificateError) {
        if now < body.notBefore { throw .notYetValid(secondsAhead: body.notBefore - now) }
        if now >= body.notAfter { throw .expired(secondsAgo: now - body.notAfter) }
    }

    /// Checks a CA's self-signed certificate.
    public func verifyAuthority(atUnixTime now: UInt64) throws(CertificateError) -> AuthorityCertificate {
        guard body.kind == .authority else { throw .wrongKind(expected: "CA") }
        guard body.issuer == body.publicKey, signatureVerifies else { throw .badSignature }
        try checkValidity(atUnixTime: now)
        return AuthorityCertificate(unchecked: self)
    }

    /// Checks a node certificate against the network's CA: issuer, signature, validity (its
    /// own and the CA's), that every address it claims lies in the CA's networks and that no
    /// subnet overlaps them (a CA that signed one anyway, older or mistaken, is not trusted
    /// with it).
    public func verify(authority: AuthorityCertificate, atUnixTime now: UInt64) throws(CertificateError) -> Certificate {
        guard body.kind == .node else { throw .wrongKind(expected: "node") }
        guard body.issuer == authority.publicKey else {
            throw .wrongCA(issuer: Encoding.hex(Blake2b.hash(body.issuer.bytes, outputCount: 32)))
        }
        guard signatureVerifies else { throw .badSignature }
        try authority.unchecked.checkValidity(atUnixTime: now)
        try checkValidity(atUnixTime: now)
        guard authority.body.ipv4.contains(body.ipv4.address) else {
            throw .addressOutsideNetwork(body.ipv4.address.description)
        }
        guard authority.body.ipv6.contains(body.ipv6.address) else {
            throw .addressOutsideNetwork(body.ipv6.address.description)
        }
        for subnet in body.subnets { try authority.checkSubnet(subnet) }
        return Certificate(unchecked: self)
    }
}

/// A node certificate that verified against our CA at some moment. Its statements (key, name,
/// addresses, roles, subnets) are what routing and the session layer may trust.
public struct Certificate: Hashable, Sendable {
    public let unchecked: UncheckedCertificate
    public var body: CertificateBody { unchecked.body }
    public var name: String { body.name }
    public var publicKey: Key32 { body.publicKey }
    public var fingerprint: String { unchecked.fingerprint }
    public var encoded: [UInt8] { unchecked.encoded }

    /// Is this certificate still valid at `now`? Sessions re-check on every handshake.
    public func isValid(atUnixTime now: UInt64) -> Bool {
        now >= body.notBefore && now < body.notAfter
    }

    /// Whether this certificate wins an address that `other` claims too (a node re-keyed,
    /// or the CA signed one address twice): the newer one, by the time it became valid,
    /// which is when the CA signed it; then the one valid longer; then the greater encoding.
    /// A strict total order on the certificates alone, so every node picks the same owner
    /// whatever order the handshakes came in.
    public func supersedes(_ other: Certificate) -> Bool {
        if body.notBefore != other.body.notBefore { return body.notBefore > other.body.notBefore }
        if body.notAfter != other.body.notAfter { return body.notAfter > other.body.notAfter }
        return other.encoded.lexicographicallyPrecedes(encoded)
    }
}

/// The network CA's verified self-signed certificate: the root every node certificate
/// must chain to.
public struct AuthorityCertificate: Hashable, Sendable {
    public let unchecked: UncheckedCertificate
    public var body: CertificateBody { unchecked.body }
    public var publicKey: Key32 { body.publicKey }
    public var name: String { body.name }
    public var fingerprint: String { unchecked.fingerprint }
}

extension UncheckedCertificate: Hashable {
    public static func == (l: Self, r: Self) -> Bool { l.encoded == r.encoded }
    public func hash(into h: inout Hasher) { h.combine(encoded) }
}
