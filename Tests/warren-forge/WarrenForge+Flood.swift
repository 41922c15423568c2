import Glibc
import WarrenCrypto
import WarrenLinux
import WarrenPKI
import WarrenSession
import WarrenWire

extension WarrenForge {
    /// A non-member's handshake flood: initiations with a valid mac1 for the victim (its
    /// public key is no secret) and Noise bytes nobody can decrypt, as fast as `sendmmsg`
    /// goes for `seconds`, from one socket. Counts the cookie replies that come back.
    static func flood(victimKey text: String, victim: Endpoint, seconds: Int) throws {
        guard let key = KeyText.parsePublicKey(text), let handshakeKey = Ed25519.x25519PublicKey(from: key) else {
            fatalError("not a public key: \(text)")
        }
        let macKey = HandshakeMAC.key(for: handshakeKey)
        var random = SystemRandom()
        // Distinct sender indices, the size of a real initiation with a small certificate.
        let messages: [[UInt8]] = (0..<1024).map { _ in
            var noise = [UInt8](repeating: 0, count: HandshakeInitiation.minNoiseByteCount + 400)
            noise.withUnsafeMutableBytes { random.fill($0) }
            var message = HandshakeInitiation(senderIndex: random.next(), noise: noise)
            message.mac1 = HandshakeMAC.mac1(message.bytesBeforeMAC, key: macKey)
            return message.encoded
        }
        let socket = try UDPSocket(port: 0)
        let sendBatch = DatagramSendBatch(capacity: 64, for: socket)
        let receiveBatch = DatagramReceiveBatch(capacity: 64, datagramBytes: 2048)
        var sent = 0, cookies = 0, next = 0
        let deadline = MonotonicClock.now() + .seconds(Int64(seconds))
        while MonotonicClock.now() < deadline {
            for message in messages[next..<next + 64] { _ = message.withUnsafeBytes { sendBatch.append($0, to: victim) } }
            next = (next + 64) % messages.count
            sent += socket.flush(sendBatch).sent
            while let n = try? socket.receive(into: receiveBatch), n > 0 {
                for i in 0..<n where (try? CookieReply(parsing: Array(UnsafeRawBufferPointer(receiveBatch.bytes(i))))) != nil {
                    cookies += 1
                }
            }
        }
        print("sent \(sent) initiations in \(seconds) s, \(cookies) cookie replies came back")
    }
}
