public import WarrenWire

/// What a node announces on each of its LANs every few seconds, to a link-local multicast
/// group on its Warren port: its certificate and its port. A node that hears it (and accepts
/// the certificate) can reach that member at its LAN address with no DHT and no bootstrap
/// node; the handshake still proves who answers. Beacons are sent with a TTL of 1 and never
/// leave the link.
///
/// Encoding: type(1) = 6 ‖ three zero bytes ‖ port(2) ‖ certificate length(2) ‖ certificate.
public struct LANBeacon: Equatable, Sendable {
    /// An address of the IPv4 "organization-local" scope (RFC 2365), unrouted beyond a site.
    public static let group = IPv4Address(239, 255, 77, 77)
    /// An IPv6 link-local scope group (ff02::/16, RFC 4291), never forwarded by a router.
    public static let groupIPv6 = IPv6Address("ff02::5761:7272")!
    public static let maxCertificateBytes = 1024

    public var port: UInt16
    public var certificate: [UInt8]

    public init(port: UInt16, certificate: [UInt8]) {
        self.port = port
        self.certificate = certificate
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 8 + certificate.count)
        w.write(MessageType.lanBeacon.rawValue)
        w.write(bytes: [0, 0, 0])
        w.write(port)
        w.writeLongBytes(certificate)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == MessageType.lanBeacon.rawValue, try r.readBytes(3) == [0, 0, 0] else {
                throw .invalidField("not a LAN beacon")
            }
            let port = try r.readUInt16()
            guard port != 0 else { throw .invalidField("port 0") }
            return LANBeacon(port: port, certificate: try r.readLongBytes(maxCount: Self.maxCertificateBytes))
        }
    }
}
