/// The first handshake message: the initiator's index and the Noise IK first message, then a
/// MAC over everything before it keyed by the responder's public key, which the responder
/// checks before doing any Diffie-Hellman work (WireGuard's mac1, §5.4.4), and mac2, keyed by
/// a cookie the responder handed out under load, or zeros (§5.4.7).
///
/// ```
///  0    1        4               8                         n-32       n-16       n
///  +----+--------+---------------+-------------------------+----------+----------+
///  | 1  | 0 0 0  | sender index  | Noise IK message 1      |  mac1    |  mac2    |
///  +----+--------+---------------+-------------------------+----------+----------+
/// ```
public struct HandshakeInitiation: MACProtectedMessage, Equatable, Sendable {
    public static let headerByteCount = 8
    public static let macByteCount = 16
    /// Noise e + encrypted s + payload tag, before any payload.
    public static let minNoiseByteCount = 96
    public static let minByteCount = headerByteCount + minNoiseByteCount + 2 * macByteCount
    public static let maxByteCount = 1400

    public var senderIndex: UInt32
    public var noise: [UInt8]
    public var mac1: [UInt8]
    public var mac2: [UInt8]

    public init(senderIndex: UInt32, noise: [UInt8], mac1: [UInt8] = [UInt8](repeating: 0, count: macByteCount),
                mac2: [UInt8] = [UInt8](repeating: 0, count: macByteCount)) {
        self.senderIndex = senderIndex
        self.noise = noise
        self.mac1 = mac1
        self.mac2 = mac2
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count <= Self.maxByteCount else { throw .invalidField("handshake length \(bytes.count)") }
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == MessageType.handshakeInitiation.rawValue, try r.readUInt8() == 0,
                  try r.readUInt16() == 0 else { throw .invalidField("handshake initiation header") }
            let index = try r.readUInt32LE()
            let noiseCount = r.remaining - 2 * Self.macByteCount
            guard noiseCount >= Self.minNoiseByteCount else {
                throw .truncated(needed: Self.minNoiseByteCount + 2 * Self.macByteCount, available: r.remaining)
            }
            return HandshakeInitiation(senderIndex: index, noise: try r.readBytes(noiseCount), mac1: try r.readBytes(Self.macByteCount),
                                       mac2: try r.readBytes(Self.macByteCount))
        }
    }

    /// Everything mac1 covers.
    public var bytesBeforeMAC: [UInt8] {
        var w = WireWriter(capacity: Self.headerByteCount + noise.count)
        w.write(MessageType.handshakeInitiation.rawValue)
        w.write(bytes: [0, 0, 0])
        w.writeLE(senderIndex)
        w.write(bytes: noise)
        return w.bytes
    }

    public var encoded: [UInt8] { bytesBeforeMAC + mac1 + mac2 }
}

/// The reply: the responder's index, the initiator's index it answers, Noise IK message 2,
/// mac1 keyed by the initiator's public key and mac2 (a cookie's, or zeros).
///
/// ```
///  0    1        4               8                12                  n-32    n-16    n
///  +----+--------+---------------+----------------+-------------------+-------+-------+
///  | 2  | 0 0 0  | sender index  | receiver index | Noise IK message 2| mac1  | mac2  |
///  +----+--------+---------------+----------------+-------------------+-------+-------+
/// ```
public struct HandshakeResponse: MACProtectedMessage, Equatable, Sendable {
    public static let headerByteCount = 12
    public static let macByteCount = 16
    public static let minNoiseByteCount = 48
    public static let minByteCount = headerByteCount + minNoiseByteCount + 2 * macByteCount
    public static let maxByteCount = 1400

    public var senderIndex: UInt32
    public var receiverIndex: UInt32
    public var noise: [UInt8]
    public var mac1: [UInt8]
    public var mac2: [UInt8]

    public init(senderIndex: UInt32, receiverIndex: UInt32, noise: [UInt8],
                mac1: [UInt8] = [UInt8](repeating: 0, count: macByteCount),
                mac2: [UInt8] = [UInt8](repeating: 0, count: macByteCount)) {
        self.senderIndex = senderIndex
        self.receiverIndex = receiverIndex
        self.noise = noise
        self.mac1 = mac1
        self.mac2 = mac2
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        guard bytes.count <= Self.maxByteCount else { throw .invalidField("handshake length \(bytes.count)") }
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == MessageType.handshakeResponse.rawValue, try r.readUInt8() == 0,
                  try r.readUInt16() == 0 else { throw .invalidField("handshake response header") }
            let sender = try r.readUInt32LE()
            let receiver = try r.readUInt32LE()
            let noiseCount = r.remaining - 2 * Self.macByteCount
            guard noiseCount >= Self.minNoiseByteCount else {
                throw .truncated(needed: Self.minNoiseByteCount + 2 * Self.macByteCount, available: r.remaining)
            }
            return HandshakeResponse(senderIndex: sender, receiverIndex: receiver, noise: try r.readBytes(noiseCount),
                                     mac1: try r.readBytes(Self.macByteCount), mac2: try r.readBytes(Self.macByteCount))
        }
    }

    public var bytesBeforeMAC: [UInt8] {
        var w = WireWriter(capacity: Self.headerByteCount + noise.count)
        w.write(MessageType.handshakeResponse.rawValue)
        w.write(bytes: [0, 0, 0])
        w.writeLE(senderIndex)
        w.writeLE(receiverIndex)
        w.write(bytes: noise)
        return w.bytes
    }

    public var encoded: [UInt8] { bytesBeforeMAC + mac1 + mac2 }
}

/// What the two handshake messages share: mac1 over everything before it, and mac2 over
/// everything before that (WireGuard §5.4.4).
public protocol MACProtectedMessage {
    /// Everything mac1 covers.
    var bytesBeforeMAC: [UInt8] { get }
    var mac1: [UInt8] { get set }
    var mac2: [UInt8] { get set }
}

extension MACProtectedMessage {
    /// Everything mac2 covers.
    public var bytesBeforeMAC2: [UInt8] { bytesBeforeMAC + mac1 }
}
