public import WarrenNAT
public import WarrenWire

/// What a node is told: what the packet threads hand over, beacons heard, changes of the
/// host's addresses and of the STUN servers' names, and control requests.
public enum NodeEvent: Sendable {
    case packet(ControlEvent)
    /// A datagram from the beacon socket: at most `LANBeacon.maxByteCount + 1` bytes, so a
    /// longer one shows as too long.
    case beacon([UInt8], arrival: LANBeaconGate.Arrival)
    case localAddresses(HostAddresses)
    /// The latest answers for the STUN servers configured by name.
    case stunServerAddresses([HostPort: STUNServerAddress])
    case request(RequestID, NodeRequest)
}

/// What the host's resolver said about a STUN server's name.
public enum STUNServerAddress: Equatable, Sendable {
    case resolved(Endpoint)
    case failed(String)
}

/// The host's own addresses, besides the overlay interface's: candidates for its record,
/// links for its beacons, and the networks that make a peer's endpoint "LAN".
public struct HostAddresses: Equatable, Sendable {
    public var addresses: [IPAddress]
    public var networks: [IPPrefix]
    /// Links with an IPv6 address others there can reach, by interface index.
    public var ipv6Links: [IPv6Link]

    public struct IPv6Link: Equatable, Sendable {
        public var interfaceIndex: UInt32
        public var address: IPv6Address

        public init(interfaceIndex: UInt32, address: IPv6Address) {
            self.interfaceIndex = interfaceIndex
            self.address = address
        }
    }

    public init(addresses: [IPAddress] = [], networks: [IPPrefix] = [], ipv6Links: [IPv6Link] = []) {
        self.addresses = addresses
        self.networks = networks
        self.ipv6Links = ipv6Links
    }
}
