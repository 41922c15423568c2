public import Synchronization
public import WarrenCrypto
public import WarrenPKI
import WarrenWire

/// What the data plane needs to know about one peer, shared between the control thread (which
/// creates it from a verified certificate) and the packet threads (which count into it).
/// The identity is immutable; counters and activity times are atomics, written without locks.
public final class PeerLink: Sendable {
    public let certificate: Certificate
    /// The peer's Ed25519 key (its identity) and the X25519 key its handshakes use.
    public let publicKey: Key32
    public let handshakeKey: Key32

    public let receivedBytes = Atomic<UInt64>(0)
    public let sentBytes = Atomic<UInt64>(0)
    public let receivedPackets = Atomic<UInt64>(0)
    public let sentPackets = Atomic<UInt64>(0)
    /// Monotonic nanoseconds of the last authenticated packet received / any packet sent /
    /// the last data (non-keepalive) packet received. Zero means never.
    public let lastReceived = Atomic<UInt64>(0)
    public let lastSent = Atomic<UInt64>(0)
    public let lastDataReceived = Atomic<UInt64>(0)
    /// Monotonic nanoseconds of the last authenticated packet that came directly, not
    /// through a relay; it keeps a confirmed direct path trusted.
    public let lastDirectReceived = Atomic<UInt64>(0)
    /// Monotonic nanoseconds of the first data packet sent since the last authenticated
    /// packet received; zero when nothing sent is waiting for an answer. The first, not the
    /// last: steady traffic to a peer that went away must still trigger a new handshake.
    public let unansweredSince = Atomic<UInt64>(0)
    /// Set by a packet thread that wants a handshake, cleared by the control thread; keeps a
    /// burst of packets from flooding the control queue with the same request.
    public let handshakeWanted = Atomic<Bool>(false)
    /// Set when a packet thread reports a new endpoint, cleared when the control thread has
    /// published it; one report per move, not one per packet.
    public let roamReported = Atomic<Bool>(false)

    public init(certificate: Certificate, handshakeKey: Key32) {
        self.certificate = certificate
        self.publicKey = certificate.publicKey
        self.handshakeKey = handshakeKey
    }

    public var name: String { certificate.name }

    @inline(__always)
    func noteSent(bytes: Int, isData: Bool, now: Instant) {
        sentBytes.add(UInt64(bytes), ordering: .relaxed)
        sentPackets.add(1, ordering: .relaxed)
        lastSent.store(now.nanoseconds, ordering: .relaxed)
        if isData, unansweredSince.load(ordering: .relaxed) == 0 { unansweredSince.store(now.nanoseconds, ordering: .relaxed) }
    }

    @inline(__always)
    func noteReceived(bytes: Int, isData: Bool, now: Instant) {
        receivedBytes.add(UInt64(bytes), ordering: .relaxed)
        receivedPackets.add(1, ordering: .relaxed)
        heard(now: now)
        if isData { lastDataReceived.store(now.nanoseconds, ordering: .relaxed) }
    }

    /// An authenticated packet arrived: the peer is there, whatever was sent is answered.
    @inline(__always)
    func heard(now: Instant) {
        lastReceived.store(now.nanoseconds, ordering: .relaxed)
        if unansweredSince.load(ordering: .relaxed) != 0 { unansweredSince.store(0, ordering: .relaxed) }
    }
}
