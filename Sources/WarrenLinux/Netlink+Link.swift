import CLinux
import Glibc

/// Links: find an interface, bring it up with an MTU, delete one.
extension Netlink {
    /// The kernel's index for interface `name`, which the address and route calls take.
    public func interfaceIndex(name: String) throws(SystemError) -> UInt32 {
        switch try Syscall.run("looking up interface \(name)", failed: { $0 == 0 }, { if_nametoindex(name) }) {
        case .done(let index): return index
        case .wouldBlock: throw SystemError(operation: "looking up interface \(name)", errno: EAGAIN)
        }
    }

    /// Sets IFF_UP and the MTU in one RTM_NEWLINK, like `ip link set NAME up mtu MTU`.
    public func setLinkUp(index: UInt32, mtu: UInt32) throws(SystemError) {
        try request("bringing up \(Self.interfaceLabel(index)) with MTU \(mtu)", type: Int32(RTM_NEWLINK)) { header in
            var info = ifinfomsg()
            info.ifi_family = UInt8(AF_UNSPEC)
            info.ifi_index = Int32(bitPattern: index)
            info.ifi_flags = UInt32(IFF_UP)
            info.ifi_change = UInt32(IFF_UP)  // Only the UP bit changes.
            Self.putExtraHeader(header, info)
            mnl_attr_put_u32(header, UInt16(IFLA_MTU), mtu)
        }
    }

    /// Deletes interface `name`, like `ip link delete NAME`: clears a leftover interface of
    /// the same name before the daemon creates its own.
    public func deleteLink(name: String) throws(SystemError) {
        try request("deleting interface \(name)", type: Int32(RTM_DELLINK)) { header in
            var info = ifinfomsg()
            info.ifi_family = UInt8(AF_UNSPEC)
            Self.putExtraHeader(header, info)
            mnl_attr_put_strz(header, UInt16(IFLA_IFNAME), name)
        }
    }
}
