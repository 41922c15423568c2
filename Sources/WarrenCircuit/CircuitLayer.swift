public import WarrenCrypto
public import WarrenNoise

/// What a circuit's sender and one of its hops share once their Noise NK handshake is done:
/// a ChaCha20-Poly1305 key per direction, and a counter offset per direction.
///
/// A circuit message carries one 64-bit counter, the nonce of the layer the receiving hop
/// removes or adds. Each hop adds its offset before passing a message on, so no two hops of
/// a circuit see the same counter for one message: relays that compare notes must match
/// messages by their timing, not by reading the same number. An addition keeps the order of
/// counters, which the replay windows at every hop need (a XOR would not). Offsets are
/// below 2^56 and counters stay below 2^62 (`limit`), so nothing wraps around with 8 hops.
public final class CircuitLayer: Sendable {
    /// Counters at or past this are dropped unread.
    static let limit: UInt64 = 1 << 62
    static let offsetMask: UInt64 = (1 << 56) - 1
    public static let tagByteCount = ChaChaPoly.tagByteCount

    let keys: TransportKeys
    let forwardOffset: UInt64
    let backwardOffset: UInt64

    /// The layer of a finished handshake, on either side (the sender is the initiator).
    public init(_ keys: consuming TransportKeys) {
        forwardOffset = Self.offset(keys.handshakeHash, "warren circuit forward offset")
        backwardOffset = Self.offset(keys.handshakeHash, "warren circuit backward offset")
        self.keys = keys
    }

    private static func offset(_ handshakeHash: [UInt8], _ label: String) -> UInt64 {
        let bytes = Blake2b.hash(Array(label.utf8), handshakeHash, outputCount: 8)
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } & offsetMask
    }

    /// Encrypts `body` in place with the key of `direction` and appends the tag.
    func seal(_ body: inout [UInt8], nonce: UInt64, forward: Bool) {
        let count = body.count
        body.append(contentsOf: repeatElement(0, count: Self.tagByteCount))
        body.withUnsafeMutableBytes { seal($0, count: count, nonce: nonce, forward: forward) }
    }

    /// Encrypts `buffer[0..<count]` in place and writes the tag after it: `buffer` has room
    /// for `count + tagByteCount` bytes.
    @inline(__always)
    func seal(_ buffer: UnsafeMutableRawBufferPointer, count: Int, nonce: UInt64, forward: Bool) {
        withKey(forward: forward) { key in
            ChaChaPoly.seal(key: key, nonce: ChaChaPoly.nonce(counter: nonce), aad: UnsafeRawBufferPointer(start: nil, count: 0),
                            buffer: buffer, plaintextCount: count)
        }
    }

    /// Decrypts `body` in place and removes the tag; false if it does not authenticate (the
    /// body is then garbage and must be dropped).
    func open(_ body: inout [UInt8], nonce: UInt64, forward: Bool) -> Bool {
        guard let opened = body.withUnsafeMutableBytes({ open($0, nonce: nonce, forward: forward) }) else { return false }
        body.removeLast(body.count - opened)
        return true
    }

    /// Decrypts `buffer` (ciphertext ‖ tag) in place; the plaintext's length, or nil if it
    /// does not authenticate.
    @inline(__always)
    func open(_ buffer: UnsafeMutableRawBufferPointer, nonce: UInt64, forward: Bool) -> Int? {
        withKey(forward: forward) { key in
            ChaChaPoly.open(key: key, nonce: ChaChaPoly.nonce(counter: nonce), aad: UnsafeRawBufferPointer(start: nil, count: 0),
                            buffer: buffer)
        }
    }

    private func withKey<R>(forward: Bool, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        forward ? keys.initiatorToResponder.withUnsafeBytes(body) : keys.responderToInitiator.withUnsafeBytes(body)
    }
}
