public import Synchronization
import WarrenCrypto
public import WarrenNoise
public import WarrenWire

/// One direction-pair of transport keys from one completed handshake, with its indices,
/// nonce counter and replay window. Created by the control thread, read by the packet
/// threads through a `RoutingSnapshot`; sealing and opening never allocate.
public final class Keypair: Sendable {
    public let localIndex: UInt32
    public let remoteIndex: UInt32
    public let createdAt: Instant
    public let isInitiator: Bool
    public let link: PeerLink
    private let keys: DirectionalKeys
    private let nextCounter = Atomic<UInt64>(0)
    private let replay = Mutex(ReplayWindow())
    /// A responder may not send on a keypair until the initiator has used it (WireGuard
    /// §6.1: this proves the initiator saw the response). The initiator's is confirmed at once.
    public let isConfirmed: Atomic<Bool>

    /// The initiator's rekey age: the manager's interval plus jitter, so two nodes that
    /// became initiators at the same moment (both dialled each other) do not rekey at the
    /// same moment forever after.
    let rekeyAfter: Duration

    public init(keys: consuming TransportKeys, isInitiator: Bool, localIndex: UInt32, remoteIndex: UInt32,
                link: PeerLink, now: Instant, rekeyAfter: Duration = Timing.rekeyAfterTime) {
        self.rekeyAfter = rekeyAfter
        self.keys = keys.oriented(isInitiator: isInitiator)
        self.isInitiator = isInitiator
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        self.link = link
        self.createdAt = now
        self.isConfirmed = Atomic(isInitiator)
    }

    public func isUsable(at now: Instant) -> Bool {
        now.since(createdAt) < Timing.rejectAfterTime
    }

    /// True when this side should start a new handshake before the keypair wears out.
    public func wantsRekey(at now: Instant) -> Bool {
        let age = now.since(createdAt)
        if nextCounter.load(ordering: .relaxed) >= Timing.rekeyAfterMessages { return true }
        // The initiator rekeys on time; the responder only shortly before the keys expire, so
        // both sides do not start handshakes at once (WireGuard §6.2).
        return isInitiator ? age >= rekeyAfter
            : age >= Timing.rejectAfterTime - Timing.keepaliveTimeout - Timing.rekeyTimeout
    }

    /// Encrypts in place. `buffer` holds the plaintext at `TransportHeader.byteCount` and has
    /// room for the tag after it; the header is written in front. Returns the datagram length,
    /// or nil if this keypair may no longer send (too old or out of nonces).
    @inline(__always)
    public func seal(_ buffer: UnsafeMutableRawBufferPointer, payloadCount: Int, now: Instant) -> Int? {
        guard isUsable(at: now) else { return nil }
        let counter = nextCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        guard counter < Timing.rejectAfterMessages else { return nil }
        let total = TransportHeader.overhead + payloadCount
        precondition(buffer.count >= total)
        TransportHeader.write(receiverIndex: remoteIndex, counter: counter, into: buffer)
        let body = UnsafeMutableRawBufferPointer(rebasing: buffer[TransportHeader.byteCount..<total])
        keys.send.withUnsafeBytes { key in
            ChaChaPoly.seal(key: key, nonce: ChaChaPoly.nonce(counter: counter), aad: UnsafeRawBufferPointer(start: nil, count: 0),
                            buffer: body, plaintextCount: payloadCount)
        }
        return total
    }

    /// Decrypts a transport packet in place and checks its counter against the replay window.
    /// Returns the plaintext length (the plaintext starts at `TransportHeader.byteCount`), or
    /// why it was refused.
    @inline(__always)
    public func open(_ packet: UnsafeMutableRawBufferPointer, counter: UInt64, now: Instant) -> Result<Int, DropReason> {
        guard isUsable(at: now) else { return .failure(.expiredKeypair) }
        guard counter < Timing.rejectAfterMessages else { return .failure(.replayed) }
        let body = UnsafeMutableRawBufferPointer(rebasing: packet[TransportHeader.byteCount...])
        let opened = keys.receive.withUnsafeBytes { key in
            ChaChaPoly.open(key: key, nonce: ChaChaPoly.nonce(counter: counter), aad: UnsafeRawBufferPointer(start: nil, count: 0),
                            buffer: body)
        }
        guard let length = opened else { return .failure(.authenticationFailed) }
        // The window moves only for authenticated counters, so forgeries cannot shift it.
        guard replay.withLock({ $0.accept(counter) }) else { return .failure(.replayed) }
        return .success(length)
    }
}
