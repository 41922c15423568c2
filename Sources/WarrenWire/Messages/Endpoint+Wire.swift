/// The binary form of an endpoint in records and DHT messages:
/// `family(1: 4 or 6) ‖ address(4 or 16) ‖ port(2)`.
extension Endpoint {
    public func encode(into w: inout WireWriter) {
        switch address {
        case .v4: w.write(UInt8(4))
        case .v6: w.write(UInt8(6))
        }
        w.write(bytes: address.bytes)
        w.write(port)
    }

    public init(parsing r: inout WireReader) throws(WireError) {
        let family = try r.readUInt8()
        let address: IPAddress
        switch family {
        case 4: address = .v4(IPv4Address(try r.readUInt32()))
        case 6: address = .v6(IPv6Address(high: try r.readUInt64(), low: try r.readUInt64()))
        default: throw .invalidField("endpoint family \(family)")
        }
        self.init(address: address, port: try r.readUInt16())
    }
}
