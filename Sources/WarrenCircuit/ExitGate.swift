public import WarrenSession
public import WarrenWire

/// What an exit does with each packet a sender's circuit brings under its exit session,
/// before the packet may reach the exit's kernel: it must come from the address the
/// session was lent (the sender rewrote its source to it; anything else is a sender trying
/// to pass as another, or to spoof), and the policy must accept it. A refusal is answered,
/// so the sender's application learns at once instead of timing out.
public struct ExitGate: Sendable {
    public let policy: ExitPolicy

    public enum Decision: Equatable, Sendable {
        /// Write it to the overlay interface: the kernel forwards and masquerades it.
        case forward
        /// Refused by `rule` (nil: the policy's last word); send `answer` back through the
        /// circuit (nil when the packet was itself an ICMP error, which gets none).
        case refuse(rule: Int?, answer: [UInt8]?)
        case drop(DropReason)
    }

    public init(policy: ExitPolicy) {
        self.policy = policy
    }

    public func judge(_ packet: UnsafeRawBufferPointer, lease: ExitLeases.Lease) -> Decision {
        let lent: IPAddress? = switch IPPacket.version(packet) {
        case 4: lease.ipv4.map(IPAddress.v4)
        case 6: lease.ipv6.map(IPAddress.v6)
        default: nil
        }
        guard let source = IPPacket.source(packet) else { return .drop(.malformed) }
        guard source == lent else { return .drop(.sourceNotOwned) }
        switch policy.verdict(for: packet) {
        case .accept: return .forward
        case .reject(let rule): return .refuse(rule: rule, answer: ICMPError.reply(.prohibited, to: Array(packet)))
        case .unreadable: return .drop(.malformed)
        }
    }
}
