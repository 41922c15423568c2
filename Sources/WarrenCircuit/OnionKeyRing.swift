public import WarrenCrypto
import WarrenNoise

/// A relay's onion keys: a new one every 7 days, the one before kept for a day more, so a
/// sender that read the previous descriptor still builds through this relay while the new
/// descriptor spreads. A circuit's forward secrecy does not rest on them (its ephemeral
/// keys give that); rotating them limits what a stolen onion key lets anyone impersonate.
public struct OnionKeyRing {
    public static let rotationSeconds: UInt64 = 7 * 86_400
    public static let overlapSeconds: UInt64 = 86_400

    /// One onion key (a class, so the ring can hand keys between its slots).
    final class Secret {
        let key: X25519PrivateKey
        let validUntil: UInt64

        init(random: inout some RandomSource, validUntil: UInt64) {
            key = X25519PrivateKey(random: &random)
            self.validUntil = validUntil
        }
    }

    private var current: Secret
    private var currentSince: UInt64
    private var previous: Secret?

    public init(now: UInt64, random: inout some RandomSource) {
        current = Secret(random: &random, validUntil: now + Self.rotationSeconds + Self.overlapSeconds)
        currentSince = now
    }

    /// Makes a new current key once the current one is 7 days old, and forgets the previous
    /// one when it is no longer valid. Returns whether the keys changed (publish anew).
    public mutating func rotate(now: UInt64, random: inout some RandomSource) -> Bool {
        var changed = false
        if let previous, now >= previous.validUntil {
            self.previous = nil
            changed = true
        }
        if now >= currentSince + Self.rotationSeconds {
            previous = current
            current = Secret(random: &random, validUntil: now + Self.rotationSeconds + Self.overlapSeconds)
            currentSince = now
            changed = true
        }
        return changed
    }

    /// The keys a descriptor publishes, with how long each is valid.
    public var published: [RelayDescriptor.OnionKey] {
        [current, previous].compactMap { $0 }.map { RelayDescriptor.OnionKey(key: $0.key.publicKey, validUntil: $0.validUntil) }
    }

    /// Answers an NK request made to either key; nil if it authenticates to neither.
    func respond(to request: [UInt8], prologue: [UInt8], random: inout some RandomSource,
                 reply: inout [UInt8]) -> TransportKeys? {
        for secret in [current, previous].compactMap({ $0 }) {
            guard let responder = try? NKResponder(staticKey: secret.key, prologue: prologue, request: request) else { continue }
            return try? responder.respond(ephemeral: X25519PrivateKey(random: &random), payload: [], message: &reply).takeKeys()
        }
        return nil
    }
}
