public import WarrenDHT
public import WarrenSession
public import WarrenWire

/// What a node decides, as a state machine driven by time and input, with no I/O: the
/// daemon hands it what arrives and when, and carries out what it returns (issue 12 moves
/// the daemon's rules here a slice at a time). This slice owns the session manager, the DHT
/// and the address resolver, and the one deadline they share.
public final class Node {
    public let manager: SessionManager
    /// A struct with large tables: mutate it in place (`node.dht.handle(…)`), never through a
    /// copy.
    public var dht: DHTNode
    public var resolver: AddressResolver

    public init(manager: SessionManager, dht: DHTNode, resolver: AddressResolver = AddressResolver()) {
        self.manager = manager
        self.dht = dht
        self.resolver = resolver
    }

    /// When the node next has something to do: the earliest of its parts' deadlines, and at
    /// most `SessionManager.tick` away (the session rules poll what the packet threads
    /// record). The control loop once waited for the session manager alone, so a DHT query's
    /// timeout or a lookup's stall waited for the next tick.
    public func nextDeadline(after now: Instant) -> Instant {
        var deadline = manager.nextDeadline(after: now)
        for other in [dht.nextDeadline(), resolver.nextDeadline()] {
            if let other, other < deadline { deadline = other }
        }
        return deadline
    }
}
