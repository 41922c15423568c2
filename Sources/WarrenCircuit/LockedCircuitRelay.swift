import Synchronization
public import WarrenCrypto
public import WarrenSession
public import WarrenWire

/// A relay's circuits (`CircuitRelay`) as both of its threads reach them, one at a time.
///
/// The inbound packet thread hands the relay, as they arrive, the circuit messages its
/// `CircuitSwitch` does not pass on: creates, the extends a last hop carries out, the
/// createds that answer them. Each hop of a build then waits for no wake-up of its control
/// thread (a build through three hops would wait for seven), and the creates' key agreement
/// runs where the datagram already is. The control thread keeps what needs the node core:
/// expiry, onion keys, replies and what leaves a circuit here.
public final class LockedCircuitRelay: Sendable {
    /// Creates the inbound thread answers itself: a burst of 16, then 400 a second. Each
    /// costs three X25519 operations (about 0.15 ms here), so creates from many members,
    /// each within its own limit (`CircuitRelay.createBurst`), hold up the packets behind
    /// them for a few milliseconds at most at once and 6% of the thread's time; past that
    /// they wait for the control thread, as every create once did.
    static let inlineCreateBurst = 16.0
    static let inlineCreatesPerSecond = 400.0

    private struct State: ~Copyable {
        let relay: CircuitRelay
        var inlineCreates = TokenBucket(capacity: LockedCircuitRelay.inlineCreateBurst,
                                        perSecond: LockedCircuitRelay.inlineCreatesPerSecond, now: .zero)
    }

    private let state: Mutex<State>

    public init(_ relay: consuming sending CircuitRelay) {
        state = Mutex(State(relay: relay))
    }

    /// Runs `body` with the relay while the other thread waits: keep it short, since the
    /// inbound thread waits here once per batch.
    public func withRelay<Result: Sendable>(_ body: (CircuitRelay) -> Result) -> Result {
        state.withLock { body($0.relay) }
    }

    /// What `body` decides with the relay while the other thread waits.
    public func decide(_ body: (CircuitRelay, inout [CircuitRelay.Action]) -> Void) -> [CircuitRelay.Action] {
        state.withLock { state in
            var decided: [CircuitRelay.Action] = []
            body(state.relay, &decided)
            return decided
        }
    }

    /// The circuits the inbound thread passes on by itself, as they are now.
    public var circuitSwitch: CircuitSwitch {
        state.withLock { $0.relay.circuitSwitch }
    }

    /// The decrypted control message `message` from `peer`, handled at once if it is a circuit
    /// message the relay holds (`CircuitRelay.holds`), its decisions appended to `actions`.
    /// False leaves it, untouched, to the control thread: a malformed message, one of a
    /// circuit this node sends through, or a create past `inlineCreatesPerSecond`.
    public func take(_ message: UnsafeRawBufferPointer, from peer: Key32, now: Instant,
                     into actions: inout [CircuitRelay.Action]) -> Bool {
        guard message.first == CircuitMessage.controlKind, let parsed = try? CircuitMessage(parsing: Array(message)) else {
            return false
        }
        let decided: [CircuitRelay.Action]? = state.withLock { state in
            guard state.relay.holds(parsed, from: peer), parsed.kind != .create || state.inlineCreates.take(now: now) else {
                return nil
            }
            var decided: [CircuitRelay.Action] = []
            state.relay.handle(parsed, from: peer, now: now, into: &decided)
            return decided
        }
        guard let decided else { return false }
        actions += decided
        return true
    }

    /// Carries out, as the inbound thread does, what the relay decided about a message that
    /// came on `keypair` by `path`: each message to a neighbour with a session is sealed in a
    /// room `room` gives and handed to `send` with where it goes. Returns the rest, for the
    /// control thread: messages to neighbours without a session, packets that leave the
    /// circuit, attaches.
    public static func carryOut(_ decided: [CircuitRelay.Action], snapshot: borrowing RoutingSnapshot, answering keypair: Keypair,
                                by path: Path, now: Instant, room: () -> UnsafeMutableRawBufferPointer,
                                send: (UnsafeRawBufferPointer, Endpoint) -> Void) -> [CircuitRelay.Action] {
        var forControl: [CircuitRelay.Action] = []
        for action in decided {
            let room = room()
            guard case .send(let message, let neighbour) = action,
                  case .send(let offset, let length, let endpoint, _)? = seal(message, to: neighbour, in: room, snapshot: snapshot,
                                                                            answering: keypair, by: path, now: now) else {
                forControl.append(action)
                continue
            }
            send(UnsafeRawBufferPointer(rebasing: room[offset..<offset + length]), endpoint)
        }
        return forControl
    }

    /// `message`, sealed in `room` under the session with `neighbour`. To the sender of the
    /// message it answers it goes back the same way: after a restart a create is often the
    /// first message of a new session, which `snapshot` may not hold yet. Nil if the
    /// neighbour has no session with a usable keypair and a path (the control thread opens
    /// one) or `room` is too small.
    private static func seal(_ message: CircuitMessage, to neighbour: Key32, in room: UnsafeMutableRawBufferPointer,
                            snapshot: borrowing RoutingSnapshot, answering keypair: Keypair, by path: Path,
                            now: Instant) -> DataPath.Outbound? {
        let encoded = message.encoded
        guard DataPath.payloadOffset + encoded.count + TransportHeader.tagByteCount <= room.count else { return nil }
        UnsafeMutableRawBufferPointer(rebasing: room[DataPath.payloadOffset...]).copyBytes(from: encoded)
        let sent: DataPath.Outbound
        if neighbour == keypair.link.publicKey {
            sent = DataPath.seal(room, count: encoded.count, on: keypair, along: path, now: now)
        } else if let route = snapshot.route(toPeer: neighbour) {
            sent = DataPath.seal(room, count: encoded.count, for: route, now: now)
        } else {
            return nil
        }
        guard case .send = sent else { return nil }
        return sent
    }
}
