import WarrenLinux
import WarrenPKI

/// The TUN interface as the certificate makes it: the node's overlay addresses on it.
enum OverlayInterface {
    /// Addresses (IPv4 and the derived IPv6, each with the overlay prefix, which also
    /// installs the overlay routes), MTU, link up, and routes for nothing else: peers' routed
    /// subnets are the kernel's to reach through us only if the operator routes them.
    /// Returns whether the IPv6 address is there: a host with IPv6 disabled refuses it
    /// (EACCES for `disable_ipv6`, EAFNOSUPPORT without the IPv6 stack), and runs IPv4-only.
    static func configure(_ name: String, certificate: Certificate, mtu: Int) throws(SystemError) -> Bool {
        let netlink = try Netlink()
        let index = try netlink.interfaceIndex(name: name)
        try netlink.setLinkUp(index: index, mtu: UInt32(mtu))
        try netlink.addAddress(certificate.body.ipv4, index: index)
        do {
            try netlink.addAddress(certificate.body.ipv6, index: index)
        } catch where Netlink.isFamilyDisabled(error) {
            return false
        }
        return true
    }
}
