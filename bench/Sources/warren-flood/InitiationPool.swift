import WarrenCrypto
import WarrenLinux
import WarrenNoise
import WarrenPKI
import WarrenSession
import WarrenWire

/// Initiations a non-member can make for a victim whose public key it knows: each a valid
/// Noise IK first message from a throwaway static key, with a distinct sender index and a
/// valid mac1, carrying a copy of a member's certificate. A victim that lets one through
/// its gate and cookies does the most work a stranger can cause: two X25519, the payload's
/// decryption and the certificate's Ed25519 check, before refusing it (the key does not
/// match). Built once, then sent round and round from one contiguous buffer, so sending
/// allocates nothing.
final class InitiationPool {
    static let count = 4096

    let stride: Int
    private let storage: UnsafeMutableRawBufferPointer

    init(victimKey: String, certificateFile: String) throws {
        guard let victim = KeyText.parsePublicKey(victimKey), let handshakeKey = Ed25519.x25519PublicKey(from: victim) else {
            fatalError("not a public key: \(victimKey)")
        }
        let pem = String(decoding: try FileAccess.readAll(path: certificateFile), as: UTF8.self)
        guard let certificate = PEM.decode(pem) else { fatalError("no certificate in \(certificateFile)") }
        let macKey = HandshakeMAC.key(for: handshakeKey)
        var random = SystemRandom()
        var messages: [[UInt8]] = []
        for _ in 0..<Self.count {
            let now = WallClock.nowUnixNanoseconds()
            let payload = HandshakePayload(timestampSeconds: now / 1_000_000_000, timestampNanoseconds: UInt32(now % 1_000_000_000),
                                           certificate: certificate)
            let initiator = try IKInitiator(staticKey: X25519PrivateKey(random: &random), responderStatic: handshakeKey,
                                            prologue: SessionManager.prologue, ephemeral: X25519PrivateKey(random: &random),
                                            payload: payload.encoded)
            var message = HandshakeInitiation(senderIndex: random.next(), noise: initiator.initiation)
            message.mac1 = HandshakeMAC.mac1(message.bytesBeforeMAC, key: macKey)
            messages.append(message.encoded)
        }
        stride = messages[0].count
        storage = .allocate(byteCount: stride * Self.count, alignment: 8)
        for (i, message) in messages.enumerated() {
            precondition(message.count == stride, "initiations of one certificate have one length")
            storage.baseAddress!.advanced(by: i * stride).copyMemory(from: message, byteCount: stride)
        }
    }

    deinit { storage.deallocate() }

    func message(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[i * stride..<(i + 1) * stride])
    }

    /// Sends the pool round and round to `victim`, 64 datagrams per sendmmsg (joined into one
    /// GSO send where the kernel can), from `sources` sockets in turn.
    func flood(to victim: Endpoint, sources: Int, perSecond: Double, seconds: Int64) throws -> FloodReport {
        // Small buffers: hundreds of sockets, and the victim's cookie replies are never read.
        let sockets = try (0..<sources).map { _ in try UDPSocket(port: 0, bufferBytes: 1 << 20) }
        let batches = sockets.map { DatagramSendBatch(capacity: 64, for: $0) }
        var report = FloodReport(mode: "initiations")
        var pacer = Pacer(perSecond: perSecond, seconds: seconds)
        var next = 0, source = 0
        repeat {
            for _ in 0..<batches[source].capacity {
                batches[source].append(message(next), to: victim)
                next = (next + 1) % Self.count
            }
            let result = sockets[source].flush(batches[source])
            report.sent += result.sent
            report.dropped += result.dropped
            source = (source + 1) % sources
        } while pacer.paced(after: 64)
        report.elapsed = pacer.elapsed
        return report
    }
}
