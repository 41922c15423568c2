import Synchronization
import WarrenLinux
public import WarrenSession
public import WarrenWire

/// What the packet threads hand to the control thread. Rare by design: handshakes, the first
/// packets to a peer without a session, and notices; never steady-state traffic.
public enum ControlEvent: Sendable {
    /// A handshake message, and the path it came by (directly, or through a relay).
    case handshake([UInt8], from: Path)
    /// A STUN message on the Warren port.
    case stun([UInt8], from: Endpoint)
    /// A LAN beacon, to the multicast group on the Warren port.
    case beacon([UInt8], from: Endpoint)
    case hold([UInt8], link: PeerLink)
    case confirmed(Keypair)
    case roamed(PeerLink, Endpoint)
    /// A control message (DHT and later kinds) from an authenticated peer.
    case control([UInt8], link: PeerLink, from: Path)
    /// A packet to an overlay address no peer owns yet: find its owner in the DHT.
    case unroutable(IPv4Address, packet: [UInt8])
}

/// A bounded queue from the packet threads to the control thread, with an eventfd so the
/// control thread's poller wakes when something arrives. When full, new events are dropped
/// and counted: a flood of handshakes must not grow memory without bound.
final class ControlQueue: Sendable {
    static let capacity = 4096
    private let events = Mutex<[ControlEvent]>([])
    let wakeup: EventFD
    let drops: DropCounters

    init(drops: DropCounters) throws(SystemError) {
        wakeup = try EventFD()
        self.drops = drops
    }

    func post(_ event: ControlEvent) {
        let wasEmpty: Bool? = events.withLock { queue in
            guard queue.count < Self.capacity else { return nil }
            queue.append(event)
            return queue.count == 1
        }
        switch wasEmpty {
        case nil: drops.count(.queueFull)
        case true?: try? wakeup.signal()
        case false?: break
        }
    }

    func drain() -> [ControlEvent] {
        _ = try? wakeup.drain()
        return events.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
    }
}
