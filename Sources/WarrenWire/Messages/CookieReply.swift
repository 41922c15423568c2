/// A responder under load answers a handshake message whose mac2 does not check with this
/// instead of doing any Diffie-Hellman work (WireGuard §5.4.7): a cookie, bound to the
/// sender's address, that its next message must carry in mac2. The cookie is encrypted to
/// the key derived from the responder's public key, with the refused message's mac1 as
/// associated data, so only whoever sent that message can use it.
///
/// ```
///  0    1        4                8                              32                     64
///  +----+--------+----------------+------------------------------+----------------------+
///  | 3  | 0 0 0  | receiver index | nonce (24)                   | cookie (16) + tag    |
///  +----+--------+----------------+------------------------------+----------------------+
/// ```
public struct CookieReply: Equatable, Sendable {
    public static let nonceByteCount = 24
    /// The 16-byte cookie and its 16-byte tag.
    public static let encryptedCookieByteCount = 32
    public static let byteCount = 8 + nonceByteCount + encryptedCookieByteCount

    /// The sender index of the message this answers.
    public var receiverIndex: UInt32
    public var nonce: [UInt8]
    public var encryptedCookie: [UInt8]

    public init(receiverIndex: UInt32, nonce: [UInt8], encryptedCookie: [UInt8]) {
        precondition(nonce.count == Self.nonceByteCount && encryptedCookie.count == Self.encryptedCookieByteCount)
        self.receiverIndex = receiverIndex
        self.nonce = nonce
        self.encryptedCookie = encryptedCookie
    }

    public init(parsing bytes: [UInt8]) throws(WireError) {
        self = try WireReader.decode(bytes) { (r) throws(WireError) in
            guard try r.readUInt8() == MessageType.cookieReply.rawValue, try r.readUInt8() == 0,
                  try r.readUInt16() == 0 else { throw .invalidField("cookie reply header") }
            return CookieReply(receiverIndex: try r.readUInt32LE(), nonce: try r.readBytes(Self.nonceByteCount),
                               encryptedCookie: try r.readBytes(Self.encryptedCookieByteCount))
        }
    }

    public var encoded: [UInt8] {
        var w = WireWriter(capacity: Self.byteCount)
        w.write(MessageType.cookieReply.rawValue)
        w.write(bytes: [0, 0, 0])
        w.writeLE(receiverIndex)
        w.write(bytes: nonce)
        w.write(bytes: encryptedCookie)
        return w.bytes
    }
}
