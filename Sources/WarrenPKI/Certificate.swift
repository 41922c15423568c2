public import WarrenCrypto
public import WarrenWire

/// What a certificate states, signed by the CA (or by itself, for the CA's own certificate).
///
/// Encoding (big-endian), the signed body followed by a 64-byte Ed25519 signature over
/// `"warren certificate v1" ‖ body`:
/// ```
///  0      4     5      6            6+n    6+n+32  +32       +8         +8
///  +------+-----+------+------------+------+-------+---------+----------+
///  | WRN1 | ver | kind | len | name | key  | issuer| notBefore| notAfter |
///  +------+-----+------+------------+------+-------+---------+----------+
///  | v4 addr(4) len(1) | v6 addr(16) len(1) | roles(1) | count(1) subnets |
///  +-------------------+--------------------+----------+------------------+
///  subnet = family(1: 4 or 6) ‖ address(4 or 16) ‖ length(1)
/// ```
/// Version 2 adds, after the subnets, what path choice reads of a relay: its family (one
/// operator's nodes: len(1) ‖ name, empty for none) and its capacity class (1). A body with
/// neither (no family, capacity 1) is written as version 1, so certificates without them
/// keep their bytes, and nodes that know only version 1 still read them.
/// For a CA, `ipv4`/`ipv6` are the networks node addresses must lie in; for a node, its own
/// overlay addresses with the overlay prefix length.
public struct CertificateBody: Hashable, Sendable {
    public enum Kind: UInt8, Sendable { case authority = 1, node = 2 }

    public var kind: Kind
    public var name: String
    public var publicKey: Key32
    public var issuer: Key32
    public var notBefore: UInt64
    public var notAfter: UInt64
    public var ipv4: IPPrefix
    public var ipv6: IPPrefix
    public var roles: Roles
    public var subnets: [IPPrefix]
    /// The operator's family, as the CA names it: no circuit has two hops of one family.
    public var family: String?
    /// The CA's capacity class (1–255): circuits draw middles in proportion to it.
    public var capacity: UInt8

    public init(kind: Kind, name: String, publicKey: Key32, issuer: Key32, notBefore: UInt64, notAfter: UInt64,
                ipv4: IPPrefix, ipv6: IPPrefix, roles: Roles = [], subnets: [IPPrefix] = [], family: String? = nil,
                capacity: UInt8 = 1) {
        self.kind = kind
        self.name = name
        self.publicKey = publicKey
        self.issuer = issuer
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.roles = roles
        self.subnets = subnets
        self.family = family
        self.capacity = capacity
    }

    static let magic: [UInt8] = Array("WRN1".utf8)
    static let versions: ClosedRange<UInt8> = 1...2
    static let maxNameBytes = 63
    static let maxSubnets = 32

    /// Names are DNS-label-like so they print safely in logs and tables.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameBytes && name.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
        }
    }

    /// 2 if the body names a family or a capacity class, else 1.
    var encodedVersion: UInt8 { family != nil || capacity != 1 ? Self.versions.upperBound : Self.versions.lowerBound }

    public func encode(into w: inout WireWriter) {
        w.write(bytes: Self.magic)
        w.write(encodedVersion)
        w.write(kind.rawValue)
        w.writeShortBytes(Array(name.utf8))
        w.write(bytes: publicKey.bytes)
        w.write(bytes: issuer.bytes)
        w.write(notBefore)
        w.write(notAfter)
        w.write(bytes: ipv4.address.bytes)
        w.write(ipv4.length)
        w.write(bytes: ipv6.address.bytes)
        w.write(ipv6.length)
        w.write(roles.rawValue)
        w.write(UInt8(subnets.count))
        for s in subnets {
            switch s.address {
            case .v4: w.write(UInt8(4))
            case .v6: w.write(UInt8(6))
            }
            w.write(bytes: s.address.bytes)
            w.write(s.length)
        }
        if encodedVersion == 2 {
            w.writeShortBytes(Array((family ?? "").utf8))
            w.write(capacity)
        }
    }

    public init(parsing r: inout WireReader) throws(WireError) {
        guard try r.readBytes(4) == Self.magic else { throw .invalidField("certificate magic") }
        let version = try r.readUInt8()
        guard Self.versions.contains(version) else { throw .unsupported("certificate version \(version)") }
        guard let kind = Kind(rawValue: try r.readUInt8()) else { throw .invalidField("certificate kind") }
        self.kind = kind
        let nameBytes = try r.readShortBytes(maxCount: Self.maxNameBytes)
        let name = String(decoding: nameBytes, as: UTF8.self)
        guard Self.isValidName(name) else { throw .invalidField("certificate name") }
        self.name = name
        publicKey = Key32(copying: try r.readSlice(32))
        issuer = Key32(copying: try r.readSlice(32))
        notBefore = try r.readUInt64()
        notAfter = try r.readUInt64()
        guard notBefore < notAfter else { throw .invalidField("certificate validity period") }
        ipv4 = try Self.readPrefix(&r, family: 4)
        ipv6 = try Self.readPrefix(&r, family: 6)
        let rawRoles = try r.readUInt8()
        roles = Roles(rawValue: rawRoles)
        guard Roles.known.isSuperset(of: roles) else { throw .invalidField("certificate roles") }
        let count = Int(try r.readUInt8())
        guard count <= Self.maxSubnets else { throw .invalidField("certificate subnet count") }
        var subnets: [IPPrefix] = []
        for _ in 0..<count {
            let family = try r.readUInt8()
            guard family == 4 || family == 6 else { throw .invalidField("subnet family") }
            subnets.append(try Self.readPrefix(&r, family: family))
        }
        self.subnets = subnets
        family = nil
        capacity = 1
        if version == 2 {
            let familyBytes = try r.readShortBytes(maxCount: Self.maxNameBytes)
            if !familyBytes.isEmpty {
                let family = String(decoding: familyBytes, as: UTF8.self)
                guard Self.isValidName(family) else { throw .invalidField("certificate family") }
                self.family = family
            }
            capacity = try r.readUInt8()
            // Version 2 exists for these: without them the body is written as version 1.
            guard capacity >= 1, family != nil || capacity != 1 else { throw .invalidField("certificate capacity") }
        }
    }

    private static func readPrefix(_ r: inout WireReader, family: UInt8) throws(WireError) -> IPPrefix {
        let address: IPAddress
        if family == 4 {
            address = .v4(IPv4Address(try r.readUInt32()))
        } else {
            address = .v6(IPv6Address(high: try r.readUInt64(), low: try r.readUInt64()))
        }
        guard let prefix = IPPrefix(address: address, length: try r.readUInt8()) else {
            throw .invalidField("prefix length")
        }
        return prefix
    }

    /// The bytes the signature covers, with a context label so a certificate signature can
    /// never be confused with any other signature made by the same key.
    func signedBytes() -> [UInt8] {
        var w = WireWriter(capacity: 256)
        w.write(bytes: Array("warren certificate v1".utf8))
        encode(into: &w)
        return w.bytes
    }
}
