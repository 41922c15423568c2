public import WarrenCircuit
public import WarrenNAT
public import WarrenNode
public import WarrenSession
public import WarrenWire

/// Where the inbound packet thread's verdicts go. The thread itself sends forwarded
/// envelopes on its socket, writes packets to the TUN device and posts to the control
/// queue; the ReceiveLoop fuzz target records them instead. Generic use (never an
/// existential) keeps the packet path free of dynamic dispatch.
public protocol InboundSink {
    /// A datagram this relay passes on: an envelope unread, its channel already rewritten, or
    /// a circuit message under the next neighbour's session.
    mutating func forward(_ datagram: UnsafeRawBufferPointer, to destination: Endpoint)
    /// Room of `InboundReceiver.roomBytes` for a datagram about to be passed to `forward`,
    /// untouched until it is sent (a send batch keeps pointers, not copies).
    mutating func room() -> UnsafeMutableRawBufferPointer
    /// A cookie reply this node sends, under load, instead of handing a handshake on.
    mutating func reply(_ datagram: [UInt8], to destination: Endpoint)
    /// Something only the control thread can handle.
    mutating func post(_ event: ControlEvent)
    /// Whether what anyone may send (a handshake, STUN) of `byteCount` bytes would find room
    /// with the control thread now; if not, it is dropped uncopied.
    func hasRoom(forUnauthenticated byteCount: Int) -> Bool
    /// How many messages from anyone wait for the control thread: whether this node is
    /// under load (`HandshakeAdmission`).
    func unauthenticatedBacklog() -> Int
    mutating func drop(_ reason: DropReason)
    /// Writes out the packets the coalescer holds, emptying it.
    mutating func deliver(_ coalescer: inout TCPCoalescer)
}

/// What the inbound packet thread does with each entry `recvmmsg` returned: walks the
/// datagrams in it (one, or a GRO run), forwards the envelopes this node relays, and hands
/// the rest to `DataPath.inbound`, delivering packets through the coalescer and passing
/// handshakes to the control thread only past `HandshakeAdmission`. A relay passes the
/// messages of circuits it relays on to their next neighbour here too (`CircuitSwitch`),
/// answers creates and carries out extends (`LockedCircuitRelay`), and a sender opens what
/// comes back on its own circuits (`CircuitSending`). It is the loop
/// body itself, not a model of it: `TunnelThreads.runInbound` and the fuzz target both call
/// it, so a datagram that traps here traps in the fuzzer first.
public struct InboundReceiver {
    public let snapshot: RoutingSnapshot
    public let relay: RelayForwarding
    public let circuits: CircuitSwitch
    public let circuitRelay: LockedCircuitRelay?
    public let sending: CircuitSending
    public let ends: CircuitEnds
    public let now: Instant

    /// What `InboundSink.room` holds: a circuit message of a full-sized datagram, the layer
    /// it may gain, and the session's header and tag. (It is rewritten and sealed there, not
    /// in place: growing, it would overwrite the next datagram of a GRO run.)
    public static let roomBytes = DataPath.payloadOffset + 2048

    /// `circuits`: `circuitRelay`'s switch as this batch found it.
    public init(snapshot: RoutingSnapshot, relay: RelayForwarding, circuits: CircuitSwitch, circuitRelay: LockedCircuitRelay?,
                sending: CircuitSending, ends: CircuitEnds, now: Instant) {
        self.snapshot = snapshot
        self.relay = relay
        self.circuits = circuits
        self.circuitRelay = circuitRelay
        self.sending = sending
        self.ends = ends
        self.now = now
    }

    /// One received entry: `entry` holds its bytes at the start of `slot`, the buffer it was
    /// received into; `segmentBytes` is the kernel's GRO segment size (anything, trusted for
    /// nothing but the step). The coalescer and the admission check are the thread's own,
    /// kept from one entry to the next.
    @inline(__always)
    public func receive<Sink: InboundSink>(entry: UnsafeMutableRawBufferPointer, slot: UnsafeMutableRawBufferPointer,
                                           segmentBytes: Int, from source: Endpoint, coalescer: inout TCPCoalescer,
                                           admission: inout HandshakeAdmission, into sink: inout Sink) {
        let run = DatagramRun(entryBytes: entry.count, segmentBytes: segmentBytes)
        for range in run {
            let datagram = UnsafeMutableRawBufferPointer(rebasing: entry[range])
            // A lone datagram's slot leaves the coalescer room to join later segments onto
            // it; one of a run may use only its own bytes, or it would overwrite the next.
            let room = run.isSingle ? slot : datagram
            if let destination = relay.forward(datagram, from: source, now: now) {
                sink.forward(UnsafeRawBufferPointer(datagram), to: destination)
                continue
            }
            // A run can hold more packets than the coalescer: write out what it has.
            if coalescer.isFull { sink.deliver(&coalescer) }
            receive(datagram, room: room, from: source, coalescer: &coalescer, admission: &admission, into: &sink)
        }
    }

    /// One datagram for this node: decrypted in place, its packet handed to the coalescer
    /// (which may grow it within `room`), anything else to the control thread.
    @inline(__always)
    private func receive<Sink: InboundSink>(_ datagram: UnsafeMutableRawBufferPointer, room: UnsafeMutableRawBufferPointer,
                                            from source: Endpoint, coalescer: inout TCPCoalescer,
                                            admission: inout HandshakeAdmission, into sink: inout Sink) {
        var notices = DataPath.Notices()
        let verdict = DataPath.inbound(datagram, from: source, snapshot: snapshot, now: now, notices: &notices)
        // Notices first: a control message may need the keypair it confirmed to answer.
        // A move before a confirmation: the packets that waited for the keypair must
        // go where the peer is now.
        if let (link, endpoint) = notices.roamed { sink.post(.roamed(link, endpoint)) }
        if let keypair = notices.confirmed { sink.post(.confirmed(keypair)) }
        switch verdict {
        case .deliver(let offset, let length):
            coalescer.add(buffer: room, offset: offset, length: length)
        case .keepalive:
            break
        case .control(let offset, let length, let link, let path, let keypair):
            let message = UnsafeMutableRawBufferPointer(rebasing: datagram[offset..<offset + length])
            switch sending.open(message, from: link.publicKey, snapshot: snapshot, now: now) {
            case .packet(let start, let count)?: coalescer.add(buffer: room, offset: offset + start, length: count)
            case .command(let command, let circuit)?: sink.post(.circuitCommand(command, circuit: circuit))
            case .drop(let reason)?: sink.drop(reason)
            case nil:
                passOn(UnsafeRawBufferPointer(message), from: link, path: path, keypair: keypair, into: &sink)
            }
        case .circuitAnswer(let offset, let length, let link):
            let answer = UnsafeRawBufferPointer(rebasing: datagram[offset..<offset + length])
            let room = sink.room()
            switch ends.answer(answer, in: room, snapshot: snapshot, now: now) {
            case .send(let at, let count, let endpoint, _)?:
                sink.forward(UnsafeRawBufferPointer(rebasing: room[at..<at + count]), to: endpoint)
            case .drop(let reason)?:
                sink.drop(reason)
            default:
                sink.post(.circuitAnswer(Array(answer), link: link))
            }
        case .handshake(let offset, let path):
            let message = UnsafeRawBufferPointer(rebasing: datagram[offset...])
            switch admission.check(message, from: path, now: now, backlog: { sink.unauthenticatedBacklog() }) {
            case .admit: break
            case .cookieReply(let reply, let endpoint):
                sink.reply(reply, to: endpoint)
                return sink.drop(.underLoad)
            case .drop(let reason): return sink.drop(reason)
            }
            guard sink.hasRoom(forUnauthenticated: datagram.count - offset) else { return sink.drop(.queueFull) }
            sink.post(.handshake(Array(message), from: path))
        case .stun:
            guard sink.hasRoom(forUnauthenticated: datagram.count) else { return sink.drop(.queueFull) }
            sink.post(.stun(Array(datagram), from: source))
        case .drop(let reason):
            sink.drop(reason)
        }
    }

    /// A control message from `link`: delivered if it carries a packet of a circuit that ends
    /// here (`CircuitEnds`), passed on to its circuit's next neighbour if this relay can
    /// (`CircuitSwitch`), handled by the relay if it holds its circuit, else for the control
    /// thread.
    @inline(__always)
    private func passOn<Sink: InboundSink>(_ message: UnsafeRawBufferPointer, from link: PeerLink, path: Path,
                                           keypair: Keypair, into sink: inout Sink) {
        guard let circuitRelay else { return sink.post(.control(Array(message), link: link, from: path)) }
        let room = sink.room()
        switch ends.leave(message, from: link.publicKey, in: room, snapshot: snapshot, now: now) {
        case .deliver(.send(let offset, let length, let endpoint, _))?:
            return sink.forward(UnsafeRawBufferPointer(rebasing: room[offset..<offset + length]), to: endpoint)
        case .deliver?:
            return sink.drop(.noSession)
        case .forControl(let payload, let circuit)?:
            return sink.post(.leftCircuit(payload, circuit: circuit))
        case .drop(let reason)?:
            return sink.drop(reason)
        case nil:
            break
        }
        switch circuits.pass(message, from: link.publicKey, in: room, snapshot: snapshot, now: now) {
        case .send(let offset, let length, let endpoint, _)?:
            sink.forward(UnsafeRawBufferPointer(rebasing: room[offset..<offset + length]), to: endpoint)
        case .drop(let reason)?:
            sink.drop(reason)
        case .needsSession?, .viaCircuit?, nil:
            relay(message, to: circuitRelay, from: link, path: path, keypair: keypair, into: &sink)
        }
    }

    /// A circuit message the switch did not pass on, handled by the relay if it holds its
    /// circuit: what it sends, sealed here for each neighbour with a session; what it decided
    /// that needs the control thread (a neighbour without a session, a packet that leaves the
    /// circuit, an attach), posted. Anything else is the control thread's.
    private func relay<Sink: InboundSink>(_ message: UnsafeRawBufferPointer, to circuitRelay: LockedCircuitRelay, from link: PeerLink,
                                          path: Path, keypair: Keypair, into sink: inout Sink) {
        var decided: [CircuitRelay.Action] = []
        guard circuitRelay.take(message, from: link.publicKey, now: now, into: &decided) else {
            return sink.post(.control(Array(message), link: link, from: path))
        }
        let forControl = LockedCircuitRelay.carryOut(decided, snapshot: snapshot, answering: keypair, by: path, now: now,
                                                     room: { sink.room() }, send: { sink.forward($0, to: $1) })
        if !forControl.isEmpty { sink.post(.relayActions(forControl)) }
    }
}
