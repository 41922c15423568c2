public import WarrenCrypto
import WarrenNoise
public import WarrenWire

/// One hop of a path as the sender chose it: the member to reach (its node key, for the
/// session on the link) and the onion key its relay descriptor publishes.
public struct CircuitHopSpec: Equatable, Sendable {
    public let node: Key32
    public let onionKey: Key32

    public init(node: Key32, onionKey: Key32) {
        self.node = node
        self.onionKey = onionKey
    }
}

public enum CircuitBuildError: Error, Equatable, Sendable {
    /// No reply from hop `hop` (counted from 0) before the build's deadline.
    case timedOut(hop: Int)
    /// Hop `hop`'s reply did not prove it holds the onion key (or was not a reply).
    case badReply(hop: Int)
}

/// A circuit the sender is building, one hop at a time (Tor's telescoping build): a Noise NK
/// handshake with the first hop's onion key on the link (no shortcut through the link's own
/// session), then each further hop's through the layers built so far, as an extend command
/// to the current last hop. Messages go to the first hop, `path[0].node`.
public final class CircuitBuild {
    public static let prologue = Array("warren circuit v1".utf8)
    /// A build not finished by then has failed; the node picks another path.
    public static let timeout: Duration = .seconds(10)

    public let path: [CircuitHopSpec]
    /// The circuit's ID on the link to the first hop.
    public let circuitID: UInt32
    public let origin = CircuitOrigin()
    public let deadline: Instant
    /// The first message, to the first hop.
    public let create: CircuitMessage
    private var pending: NKInitiator?
    public private(set) var failure: CircuitBuildError?

    public var isBuilt: Bool { origin.hopCount == path.count }

    public enum Step: Equatable, Sendable {
        /// Send this to the first hop.
        case send(CircuitMessage)
        case built
        case failed(CircuitBuildError)
        /// Not for this build, or not now: drop it.
        case ignored
    }

    /// Starts a build; `create` is its first message, for the first hop. Nil if the first
    /// hop's onion key is one no handshake can use (a low-order point).
    public init?(path: [CircuitHopSpec], circuitID: UInt32, random: inout some RandomSource, now: Instant) {
        precondition((1...CircuitOrigin.maxHops).contains(path.count), "a circuit has 1 to \(CircuitOrigin.maxHops) hops")
        guard let initiator = try? NKInitiator(responderStatic: path[0].onionKey, prologue: Self.prologue,
                                               ephemeral: X25519PrivateKey(random: &random), payload: []) else { return nil }
        self.path = path
        self.circuitID = circuitID
        deadline = now + Self.timeout
        create = CircuitMessage(kind: .create, circuitID: circuitID, body: initiator.request)
        pending = consume initiator
    }

    /// A message from the first hop on this circuit.
    public func handle(_ message: CircuitMessage, random: inout some RandomSource) -> Step {
        guard failure == nil, !isBuilt, message.circuitID == circuitID else { return .ignored }
        let hop = origin.hopCount
        let reply: [UInt8]
        switch message.kind {
        case .created where hop == 0:
            reply = message.body
        case .backward where hop > 0:
            var body = message.body
            guard origin.open(message.counter, &body) else { return .ignored }
            guard case .extended(let extended)? = try? CircuitCommand(parsing: body) else { return fail(.badReply(hop: hop)) }
            reply = extended
        default:
            return .ignored
        }
        guard let initiator = pending.take(), let result = try? initiator.readResponse(reply) else { return fail(.badReply(hop: hop)) }
        origin.extend(with: CircuitLayer(result.takeKeys()))
        return isBuilt ? .built : extend(random: &random)
    }

    /// Fails the build once its deadline has passed.
    public func handleTimeout(now: Instant) -> Step {
        guard failure == nil, !isBuilt, now >= deadline else { return .ignored }
        return fail(.timedOut(hop: origin.hopCount))
    }

    private func extend(random: inout some RandomSource) -> Step {
        let next = path[origin.hopCount]
        guard let initiator = try? NKInitiator(responderStatic: next.onionKey, prologue: Self.prologue,
                                               ephemeral: X25519PrivateKey(random: &random), payload: []) else {
            return fail(.badReply(hop: origin.hopCount))
        }
        var body = CircuitCommand.extend(node: next.node, request: initiator.request).encoded
        pending = consume initiator
        guard let counter = origin.seal(&body) else { return fail(.timedOut(hop: origin.hopCount)) }
        return .send(CircuitMessage(kind: .forward, circuitID: circuitID, counter: counter, body: body))
    }

    private func fail(_ error: CircuitBuildError) -> Step {
        failure = error
        pending = nil
        return .failed(error)
    }
}
