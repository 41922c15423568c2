import CLinux
import Glibc
public import WarrenWire

/// Routes that send a prefix into the TUN device: routed subnets of peers and, through an
/// exit, `0.0.0.0/0`. No gateway: the device is the next hop (scope link).
extension Netlink {
    /// The kernel's main routing table, where `ip route add` puts routes.
    public static let mainTable: UInt32 = 254

    /// Routes `prefix` to interface `index` in `table`, like
    /// `ip route add PREFIX dev NAME table TABLE [metric METRIC]`. Host bits of `prefix` are
    /// ignored (the kernel would reject them). Fails with EEXIST if the route exists.
    public func addRoute(_ prefix: IPPrefix, index: UInt32, table: UInt32 = Netlink.mainTable, metric: UInt32? = nil) throws(SystemError) {
        try request("adding route \(prefix.network) via \(Self.interfaceLabel(index))",
                    type: Int32(RTM_NEWROUTE), flags: NLM_F_CREATE | NLM_F_EXCL) { header in
            var message = rtmsg()
            message.rtm_protocol = UInt8(RTPROT_BOOT)
            message.rtm_scope = UInt8(RT_SCOPE_LINK.rawValue)
            message.rtm_type = UInt8(RTN_UNICAST)
            Self.putRoute(header, &message, prefix, index: index, table: table)
            if let metric { mnl_attr_put_u32(header, UInt16(RTA_PRIORITY.rawValue), metric) }
        }
    }

    /// Removes the route for `prefix` through interface `index` from `table`, like
    /// `ip route del`.
    public func deleteRoute(_ prefix: IPPrefix, index: UInt32, table: UInt32 = Netlink.mainTable) throws(SystemError) {
        try request("removing route \(prefix.network) via \(Self.interfaceLabel(index))", type: Int32(RTM_DELROUTE)) { header in
            var message = rtmsg()
            // Match any scope, type and protocol, as `ip route del` does.
            message.rtm_scope = UInt8(RT_SCOPE_NOWHERE.rawValue)
            Self.putRoute(header, &message, prefix, index: index, table: table)
        }
    }

    private static func putRoute(_ header: UnsafeMutablePointer<nlmsghdr>, _ message: inout rtmsg,
                                 _ prefix: IPPrefix, index: UInt32, table: UInt32) {
        switch prefix.address {
        case .v4: message.rtm_family = UInt8(AF_INET)
        case .v6: message.rtm_family = UInt8(AF_INET6)
        }
        message.rtm_dst_len = prefix.length
        // rtm_table has 8 bits; RTA_TABLE carries any table id and wins when present.
        message.rtm_table = table < 256 ? UInt8(table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        putExtraHeader(header, message)
        mnl_attr_put_u32(header, UInt16(RTA_TABLE.rawValue), table)
        if prefix.length > 0 {
            put(header, Int32(RTA_DST.rawValue), bytes: prefix.network.address.bytes)
        }
        mnl_attr_put_u32(header, UInt16(RTA_OIF.rawValue), index)
    }
}
