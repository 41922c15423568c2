public import WarrenWire

/// Which addresses a certificate may claim under a CA, in one place for the CA that signs
/// (`CertificateAuthority.sign`), the node that verifies (`UncheckedCertificate.verify`) and
/// the routing snapshot, which must never let a subnet claim an overlay address.
///
/// Overlay addresses are identities: the receive rule accepts a packet whose inner source
/// the sender owns. A subnet covering the overlay (`0.0.0.0/0`, say) would let its holder
/// pass that rule with any member's address and catch packets for members not yet
/// connected, so subnets and the overlay never overlap.
public enum AddressPolicy {
    /// The widest routed subnet and CA network: a shorter prefix takes so much of the
    /// address space into the mesh that it is a mistake, not a plan. IPv4 /8 is a class A;
    /// IPv6 /32 is what a registry allocates a whole ISP. Reaching the internet is the exit
    /// role's business, not a subnet's.
    public static let minimumIPv4Length: UInt8 = 8
    public static let minimumIPv6Length: UInt8 = 32

    static func minimumLength(of prefix: IPPrefix) -> UInt8 {
        switch prefix.address {
        case .v4: minimumIPv4Length
        case .v6: minimumIPv6Length
        }
    }

    /// Refuses a CA network wider than the minimum: node addresses inside it would carry a
    /// prefix length that routes (nearly) everything into the interface.
    public static func checkNetwork(_ network: IPPrefix) throws(CertificateError) {
        guard network.length >= minimumLength(of: network) else {
            throw .networkTooWide(network: network.network.description, minimumLength: minimumLength(of: network))
        }
    }
}

extension AuthorityCertificate {
    /// The overlay: the IPv4 network and the IPv6 ULA /48 that node addresses lie in.
    public var overlayNetworks: [IPPrefix] { [body.ipv4.network, body.ipv6.network] }

    /// The rule every certificate's subnets meet, whoever signed it and when: no overlap
    /// with the overlay.
    public func checkSubnet(_ subnet: IPPrefix) throws(CertificateError) {
        for overlay in overlayNetworks where overlay.overlaps(subnet) {
            throw .subnetOverlapsOverlay(subnet: subnet.network.description, overlay: overlay.description)
        }
    }
}

extension CertificateAuthority {
    /// What the CA refuses to sign as a node's IPv4 address: one outside its network, with
    /// another prefix length (a bare address is a /32, which breaks IPv4 routing), the
    /// network or broadcast address, or any address of a network too wide to use.
    public func checkAddress(_ ipv4: IPPrefix) throws(CertificateError) {
        let network = certificate.body.ipv4.network
        guard case .v4(let address) = ipv4.address, network.contains(ipv4.address) else {
            throw .addressOutsideNetwork(ipv4.address.description)
        }
        try AddressPolicy.checkNetwork(network)
        guard ipv4.length == network.length else {
            throw .prefixLengthMismatch(address: ipv4.description, network: network.description)
        }
        let hostMask = UInt32.max >> ipv4.length
        let host = address.value & hostMask
        guard host != 0, host != hostMask else {
            throw .reservedAddress(address: address.description, network: network.description)
        }
    }

    /// What the CA refuses to sign as a routed subnet: one that overlaps the overlay, or one
    /// wider than `AddressPolicy` allows.
    public func checkRoutedSubnet(_ subnet: IPPrefix) throws(CertificateError) {
        try certificate.checkSubnet(subnet)
        let minimum = AddressPolicy.minimumLength(of: subnet)
        guard subnet.length >= minimum else {
            throw .subnetTooWide(subnet: subnet.network.description, minimumLength: minimum)
        }
    }
}
