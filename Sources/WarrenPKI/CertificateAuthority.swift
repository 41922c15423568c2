public import WarrenCrypto
public import WarrenWire

/// Issues certificates with the network CA's private key. Used by `warren ca` only: the CA
/// key stays offline, never on a running node.
public struct CertificateAuthority: ~Copyable {
    public let key: SigningKey
    public let certificate: AuthorityCertificate

    public init(key: consuming SigningKey, certificate: AuthorityCertificate) throws(CertificateError) {
        guard key.publicKey == certificate.publicKey else { throw .keyMismatch }
        self.key = key
        self.certificate = certificate
    }

    /// Makes a new CA: a self-signed certificate for `name`, constraining node IPv4 addresses
    /// to `ipv4Network` and IPv6 addresses to a ULA /48 derived from the CA's key.
    public static func create(name: String, key: consuming SigningKey, ipv4Network: IPPrefix,
                              notBefore: UInt64, notAfter: UInt64) throws(CertificateError) -> CertificateAuthority {
        guard CertificateBody.isValidName(name) else { throw .malformed(.invalidField("name \"\(name)\"")) }
        guard case .v4 = ipv4Network.address else { throw .malformed(.invalidField("IPv4 network")) }
        try AddressPolicy.checkNetwork(ipv4Network)
        let body = CertificateBody(kind: .authority, name: name, publicKey: key.publicKey, issuer: key.publicKey,
                                   notBefore: notBefore, notAfter: notAfter, ipv4: ipv4Network.network,
                                   ipv6: OverlayAddressing.ulaNetwork(authorityKey: key.publicKey))
        let unchecked = UncheckedCertificate(body: body, signature: key.sign(body.signedBytes()))
        return try CertificateAuthority(key: key, certificate: AuthorityCertificate(unchecked: unchecked))
    }

    /// Signs a node certificate. The IPv6 address is derived from the IPv4 one inside the CA's
    /// ULA; validity is clipped to the CA's own. Addresses and subnets must pass
    /// `checkAddress` and `checkRoutedSubnet`. `family` and `capacity` say what circuits may
    /// make of a relay (`CertificateBody`).
    public func sign(name: String, publicKey: Key32, ipv4: IPPrefix, roles: Roles, subnets: [IPPrefix],
                     family: String? = nil, capacity: UInt8 = 1,
                     notBefore: UInt64, notAfter: UInt64) throws(CertificateError) -> Certificate {
        guard CertificateBody.isValidName(name) else { throw .malformed(.invalidField("name \"\(name)\"")) }
        if let family, !CertificateBody.isValidName(family) { throw .malformed(.invalidField("family \"\(family)\"")) }
        guard capacity >= 1 else { throw .malformed(.invalidField("capacity 0")) }
        try checkAddress(ipv4)
        guard case .v4(let v4) = ipv4.address else { throw .malformed(.invalidField("IPv4 address")) }
        guard subnets.count <= CertificateBody.maxSubnets else { throw .malformed(.invalidField("subnet count")) }
        for subnet in subnets { try checkRoutedSubnet(subnet) }
        let ca = certificate.body
        let body = CertificateBody(kind: .node, name: name, publicKey: publicKey, issuer: key.publicKey,
                                   notBefore: max(notBefore, ca.notBefore), notAfter: min(notAfter, ca.notAfter),
                                   ipv4: ipv4,
                                   ipv6: OverlayAddressing.nodeIPv6(network: ca.ipv6, ipv4: v4),
                                   roles: roles, subnets: subnets.map(\.network), family: family, capacity: capacity)
        guard body.notBefore < body.notAfter else { throw .expired(secondsAgo: 0) }
        let unchecked = UncheckedCertificate(body: body, signature: key.sign(body.signedBytes()))
        return try unchecked.verify(authority: certificate, atUnixTime: body.notBefore)
    }
}
