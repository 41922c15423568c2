/// What each side sends inside the encrypted Noise payload: its certificate, and (initiator
/// only) a timestamp that must grow from one initiation to the next, so a recorded initiation
/// cannot be replayed to reset a session (WireGuard's TAI64N timestamp, §5.1).
///
/// ```
///  version(1) ‖ unix seconds(8) ‖ nanoseconds(4) ‖ certificate length(2) ‖ certificate
/// ```
/// The responder's reply carries a zero timestamp.
public struct HandshakePayload: Equatable, Sendable {
    public static let version: UInt8 = 1
    public static let maxCertificateBytes = 1024

    public var timestampSeconds: UInt64
    public var timestampNanoseconds: UInt32
    public var certificate: [UInt8]

    public init(timestampSeconds: UInt64, timestampNanoseconds: UInt32, certificate: [UInt8]) {
        self.timestampSeconds = timestampSeconds
        self.timestampNanoseconds = timestampNanoseconds
        self.certificate = certificate
    }

    /// Timestamps compare as (seconds, nanoseconds).
    public func isNewer(than other: HandshakePayload?) -> Bool {
        guard let other else { return true }
        return (timestampSeconds, timestampNanoseconds) > (other.timestampSeconds, other.timestampNanoseconds)
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: 16 + certificate.count)
        w.write(Self.version)
        w.write(timestampSeconds)
        w.write(timestampNanoseconds)
        w.writeLongBytes(certificate)
        return w.bytes
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            let version = try r.readUInt8()
            guard version == Self.version else { throw .unsupported("handshake payload version \(version)") }
            let seconds = try r.readUInt64()
            let nanos = try r.readUInt32()
            guard nanos < 1_000_000_000 else { throw .invalidField("timestamp nanoseconds") }
            return HandshakePayload(timestampSeconds: seconds, timestampNanoseconds: nanos,
                                    certificate: try r.readLongBytes(maxCount: Self.maxCertificateBytes))
        }
    }
}
