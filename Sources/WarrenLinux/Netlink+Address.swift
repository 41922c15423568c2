import CLinux
import Glibc
public import WarrenWire

/// Interface addresses: the node's overlay IPv4 and IPv6 addresses on the TUN device.
extension Netlink {
    /// Adds `prefix` (the node's address and the overlay's prefix length, `10.8.0.1/16`) to
    /// interface `index`, like `ip addr add`. The kernel also installs the prefix route.
    /// IPv6 addresses skip duplicate address detection (IFA_F_NODAD): the overlay has no
    /// link-layer neighbours to collide with, and an address still "tentative" would refuse
    /// to be used for the first seconds. Fails with EEXIST if the address is already there.
    public func addAddress(_ prefix: IPPrefix, index: UInt32) throws(SystemError) {
        try request("adding address \(prefix) to \(Self.interfaceLabel(index))",
                    type: Int32(RTM_NEWADDR), flags: NLM_F_CREATE | NLM_F_EXCL) { header in
            Self.putAddress(header, prefix, index: index)
        }
    }

    /// Whether `addAddress` failed because the host has the address's family turned off:
    /// EACCES when `net.ipv6.conf.*.disable_ipv6` is set, EAFNOSUPPORT without the IPv6 stack.
    public static func isFamilyDisabled(_ error: SystemError) -> Bool {
        error.errno == EACCES || error.errno == EAFNOSUPPORT
    }

    /// Removes `prefix` from interface `index`, like `ip addr del`.
    public func deleteAddress(_ prefix: IPPrefix, index: UInt32) throws(SystemError) {
        try request("removing address \(prefix) from \(Self.interfaceLabel(index))", type: Int32(RTM_DELADDR)) { header in
            Self.putAddress(header, prefix, index: index)
        }
    }

    private static func putAddress(_ header: UnsafeMutablePointer<nlmsghdr>, _ prefix: IPPrefix, index: UInt32) {
        var message = ifaddrmsg()
        message.ifa_prefixlen = prefix.length
        message.ifa_scope = UInt8(RT_SCOPE_UNIVERSE.rawValue)
        message.ifa_index = index
        let isV6: Bool
        switch prefix.address {
        case .v4: (message.ifa_family, isV6) = (UInt8(AF_INET), false)
        case .v6: (message.ifa_family, isV6) = (UInt8(AF_INET6), true)
        }
        if isV6 { message.ifa_flags = UInt8(IFA_F_NODAD) }
        putExtraHeader(header, message)
        // IFA_LOCAL is the interface's own address, IFA_ADDRESS the peer's on point-to-point
        // links; without a peer both are ours, as `ip` sends them.
        let bytes = prefix.address.bytes
        put(header, Int32(IFA_LOCAL), bytes: bytes)
        put(header, Int32(IFA_ADDRESS), bytes: bytes)
        if isV6 {
            // ifa_flags has 8 bits; IFA_FLAGS carries all 32 and wins when present.
            mnl_attr_put_u32(header, UInt16(IFA_FLAGS), UInt32(IFA_F_NODAD))
        }
    }
}
