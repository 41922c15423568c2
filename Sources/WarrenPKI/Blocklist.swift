public import WarrenCrypto

/// Certificates a node refuses although the CA signed them and they have not expired
/// (`security.blocklist`). A fingerprint names one certificate; a public key names a node,
/// so it also shuts out every certificate the CA signs for that key later.
public struct Blocklist: Equatable, Sendable, ExpressibleByArrayLiteral {
    public private(set) var fingerprints: Set<String> = []
    public private(set) var publicKeys: Set<Key32> = []

    /// One entry as an operator writes it.
    public enum Entry: Equatable, Sendable {
        /// BLAKE2b-256 of a certificate, lowercase hex, as `warren cert show` prints it.
        case fingerprint(String)
        /// A node's public key, as `warren pubkey` prints it.
        case publicKey(Key32)

        /// Parses 64 hex digits (any case) as a fingerprint or base64 of a valid Ed25519
        /// public key; nil for anything else. The two never overlap: 64 characters of base64
        /// decode to 48 bytes, not 32.
        public init?(_ text: String) {
            let lower = text.lowercased()
            if lower.utf8.count == 64, Encoding.fromHex(lower) != nil {
                self = .fingerprint(lower)
            } else if let key = KeyText.parsePublicKey(text), Ed25519.x25519PublicKey(from: key) != nil {
                self = .publicKey(key)
            } else {
                return nil
            }
        }
    }

    public init(arrayLiteral entries: Entry...) {
        for entry in entries { insert(entry) }
    }

    public mutating func insert(_ entry: Entry) {
        switch entry {
        case .fingerprint(let f): fingerprints.insert(f)
        case .publicKey(let k): publicKeys.insert(k)
        }
    }

    public var count: Int { fingerprints.count + publicKeys.count }

    /// Throws if the certificate or its key is listed.
    public func check(_ certificate: UncheckedCertificate) throws(CertificateError) {
        if publicKeys.contains(certificate.body.publicKey) {
            throw .blocklistedKey(publicKey: KeyText.publicKey(certificate.body.publicKey))
        }
        // Hashing the whole certificate is only worth it when some fingerprint is listed.
        guard !fingerprints.isEmpty else { return }
        let fingerprint = certificate.fingerprint
        if fingerprints.contains(fingerprint) { throw .blocklisted(fingerprint: fingerprint) }
    }
}
