public import WarrenCrypto
public import WarrenWire

/// What a node announces on each of its LANs every few seconds, to a link-local multicast
/// group on `LANBeacon.port`: its certificate, the port it listens on, the time, and its
/// signature over all of that. A node that hears it (and accepts it: `LANBeaconGate`) may try
/// that member at its LAN address, with no DHT and no bootstrap node; the handshake still
/// proves who answers. Beacons are sent with a TTL of 1 and never leave the link.
///
/// The signature (by the certificate's key, over `signatureContext` and every byte before
/// it) makes a copy of someone's certificate worthless as a beacon, and the time stamp lets a
/// receiver refuse one recorded earlier (security issue #11, finding 6).
///
/// ```
///  0      1        4        6                   14            16        16+n        80+n
///  ┌──────┬────────┬────────┬───────────────────┬─────────────┬─────────┬───────────┐
///  │ 6    │ 0 0 0  │ port   │ unix time (ms)    │ cert length │ cert    │ signature │
///  │ (1)  │ (3)    │ (2)    │ (8)               │ n (2)       │ (n)     │ (64)      │
///  └──────┴────────┴────────┴───────────────────┴─────────────┴─────────┴───────────┘
/// ```
/// Integers are big-endian; n is at most `maxCertificateBytes`.
public struct LANBeacon: Equatable, Sendable {
    /// An address of the IPv4 "organization-local" scope (RFC 2365), unrouted beyond a site.
    public static let group = IPv4Address(239, 255, 77, 77)
    /// An IPv6 link-local scope group (ff02::/16, RFC 4291), never forwarded by a router.
    public static let groupIPv6 = IPv6Address("ff02::5761:7272")!
    /// The UDP port beacons go to, 0x5761 ("Wa", as in the IPv6 group). Not the listen port:
    /// a socket of its own receives them, so the socket that carries the tunnel never
    /// receives multicast and needs no SO_REUSEADDR that would let another socket share it.
    public static let port: UInt16 = 0x5761
    public static let maxCertificateBytes = 1024
    static let headerBytes = 16
    public static let maxByteCount = headerBytes + maxCertificateBytes + SigningKey.signatureByteCount
    /// Keeps a beacon signature from being valid as any other message signed by a node key.
    static let signatureContext = Array("warren LAN beacon v1".utf8)

    /// Where the sender listens for handshakes (its Warren port).
    public var port: UInt16
    /// When the sender signed it, in milliseconds since 1970 (UTC).
    public var unixMilliseconds: UInt64
    public var certificate: [UInt8]
    public var signature: [UInt8]

    public init(port: UInt16, unixMilliseconds: UInt64, certificate: [UInt8], signature: [UInt8]) {
        self.port = port
        self.unixMilliseconds = unixMilliseconds
        self.certificate = certificate
        self.signature = signature
    }

    /// A beacon signed by `key`, which must be the key `certificate` binds.
    public init(port: UInt16, unixMilliseconds: UInt64, certificate: [UInt8], signedBy key: borrowing SigningKey) {
        self.init(port: port, unixMilliseconds: unixMilliseconds, certificate: certificate, signature: [])
        signature = key.sign(signedMessage)
    }

    /// Whether the signature is `publicKey`'s over this beacon's content.
    public func isSigned(by publicKey: Key32) -> Bool {
        Ed25519.verify(signature: signature, message: signedMessage, publicKey: publicKey)
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: Self.headerBytes + certificate.count + SigningKey.signatureByteCount)
        w.write(bytes: content)
        w.write(bytes: signature)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == MessageType.lanBeacon.rawValue, try r.readBytes(3) == [0, 0, 0] else {
                throw .invalidField("not a LAN beacon")
            }
            let port = try r.readUInt16()
            guard port != 0 else { throw .invalidField("port 0") }
            let unixMilliseconds = try r.readUInt64()
            let certificate = try r.readLongBytes(maxCount: Self.maxCertificateBytes)
            return LANBeacon(port: port, unixMilliseconds: unixMilliseconds, certificate: certificate,
                             signature: try r.readBytes(SigningKey.signatureByteCount))
        }
    }

    /// Everything but the signature, as it goes on the wire.
    private var content: [UInt8] {
        var w = WireWriter(capacity: Self.headerBytes + certificate.count)
        w.write(MessageType.lanBeacon.rawValue)
        w.write(bytes: [0, 0, 0])
        w.write(port)
        w.write(unixMilliseconds)
        w.writeLongBytes(certificate)
        return w.bytes
    }

    private var signedMessage: [UInt8] { Self.signatureContext + content }
}
