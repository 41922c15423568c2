import Synchronization

/// Why the packet path dropped a packet. Each is counted, none is logged per packet.
public enum DropReason: Int, Error, CaseIterable, Sendable, CustomStringConvertible {
    case malformed
    case unknownIndex
    case authenticationFailed
    case replayed
    case expiredKeypair
    case sourceNotOwned
    /// A peer's packet for an address that is neither this node's nor in a subnet its
    /// certificate routes.
    case destinationNotLocal
    case noRoute
    case noSession
    case unknownType
    case queueFull
    /// Multicast from the kernel (IPv6 neighbour discovery, MLD): the overlay has no multicast.
    case multicast
    /// A peer's handshakes came faster than `Timing.minInitiationInterval`, or a source's
    /// faster than `HandshakeGate` allows.
    case rateLimited
    /// Under load, a handshake message without a valid mac2: answered with a cookie reply.
    case underLoad
    /// Under load, a handshake message without a valid mac2 from a source that has had its
    /// cookie replies for now (`HandshakeAdmission`): dropped unanswered.
    case cookieRationed
    /// The kernel refused or had no room for an outgoing datagram.
    case sendFailed
    /// The TUN device's queue was full.
    case tunFull
    /// A punch notice or LAN beacon this node did not ask for, or cannot trust.
    case unsolicited
    /// A packet a circuit carried that may not go on: to a destination outside the mesh or
    /// one that does not accept anonymous traffic, or a flow the last hop cannot translate;
    /// or a circuit message for a circuit this node does not have.
    case circuitRefused
    /// A circuit message a relay passes on whose layer did not authenticate, or whose
    /// counter that hop saw before.
    case circuitLayer

    public var description: String {
        switch self {
        case .malformed: "malformed"
        case .unknownIndex: "unknown_index"
        case .authenticationFailed: "authentication_failed"
        case .replayed: "replayed"
        case .expiredKeypair: "expired_keypair"
        case .sourceNotOwned: "source_not_owned"
        case .destinationNotLocal: "destination_not_local"
        case .noRoute: "no_route"
        case .noSession: "no_session"
        case .unknownType: "unknown_type"
        case .queueFull: "queue_full"
        case .multicast: "multicast"
        case .rateLimited: "rate_limited"
        case .underLoad: "under_load"
        case .cookieRationed: "cookie_rationed"
        case .sendFailed: "send_failed"
        case .tunFull: "tun_full"
        case .unsolicited: "unsolicited"
        case .circuitRefused: "circuit_refused"
        case .circuitLayer: "circuit_layer"
        }
    }
}

/// One counter per drop reason. Drops are the exception on the packet path, so a short
/// uncontended lock here costs nothing that matters, and keeps the counters in one array.
public final class DropCounters: Sendable {
    private let counts = Mutex([UInt64](repeating: 0, count: DropReason.allCases.count))

    public init() {}

    public func count(_ reason: DropReason, times: UInt64 = 1) {
        counts.withLock { $0[reason.rawValue] &+= times }
    }

    public subscript(reason: DropReason) -> UInt64 {
        counts.withLock { $0[reason.rawValue] }
    }
}
