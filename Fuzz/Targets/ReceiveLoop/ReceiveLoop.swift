// InboundReceiver.receive: the inbound packet thread's loop body over one entry recvmmsg
// returned, on a plain socket and on a relay's, where UDP GRO joins a run of datagrams from
// one source into one entry. Input: mode (its high bit: bob is under load), the kernel's GRO
// segment size (2 bytes, little endian, any value), the entry's length (2 bytes: 0 to
// 65,535) and bytes repeated to fill it.
//
// 0. anyone, to a node with no sessions and no relay channels;
// 1. anyone, to bob (a live session with alice) relaying a channel pair between alice and
//    carol: the bytes come from alice's endpoint, so an envelope on her channel is forwarded;
// 2. alice, through her session: the bytes are a plaintext she seals (low six bits of the
//    length's first byte + 1) times, and the entry is that GRO run of her transport packets;
//    bob relays circuits (a fresh relay each time, onion keys fixed).
//
// Invariants:
// - Nothing traps, whatever the length and segment size (a 0-byte datagram once did).
// - Modes 0 and 1: every datagram of the run is accounted for exactly once (forwarded,
//   posted or dropped; an empty entry is one drop), nothing is delivered, and only
//   handshakes (cookie replies among them) and STUN reach the control thread; an initiation
//   or response only with bob's mac1, and no more handshakes than the per-source gate's
//   burst (all come from one source, through one admission check per input).
// - Under load, no initiation or response reaches the control thread without a mac2 (the
//   fuzzer knows no cookie); those that passed the gate get at most two cookie replies, each
//   64 bytes to alice's endpoint on the message's path, answering a sender index of the
//   run; at rest there are none.
// - A forwarded datagram is one whole segment of the run, goes to carol with the channel
//   rewritten to hers, and only in mode 1.
// - Mode 2: alice's packets are delivered only with her own inner source addresses. What bob
//   sends is at most one created, to alice's endpoint under her session, answering a create
//   she sent (the rest of a run's copies reuse its circuit ID and are refused).
import FuzzFixtures
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenDaemon
import WarrenNode
import WarrenLinux
import WarrenNAT
import WarrenSession
import WarrenWire

/// Records what the loop body hands on, in place of the socket, TUN device and queue.
struct RecordingSink: InboundSink {
    /// `forward` copies what it gets: one room serves every datagram.
    nonisolated(unsafe) static let room = UnsafeMutableRawBufferPointer.allocate(byteCount: InboundReceiver.roomBytes, alignment: 64)
    var forwarded: [(bytes: [UInt8], to: Endpoint)] = []
    var posted: [ControlEvent] = []
    var drops = 0
    var delivered: [[UInt8]] = []
    var replies: [(bytes: [UInt8], to: Endpoint)] = []
    /// What the control queue holds from anyone: at least `HandshakeLoad`'s threshold puts
    /// bob under load.
    let backlog: Int

    mutating func forward(_ datagram: UnsafeRawBufferPointer, to destination: Endpoint) {
        forwarded.append((Array(datagram), destination))
    }

    mutating func room() -> UnsafeMutableRawBufferPointer { Self.room }
    mutating func reply(_ datagram: [UInt8], to destination: Endpoint) { replies.append((datagram, destination)) }
    mutating func post(_ event: ControlEvent) { posted.append(event) }
    func hasRoom(forUnauthenticated byteCount: Int) -> Bool { true }
    func unauthenticatedBacklog() -> Int { backlog }
    mutating func drop(_ reason: DropReason) { drops += 1 }

    mutating func deliver(_ coalescer: inout TCPCoalescer) {
        coalescer.drain { buffer, offset, length, _ in
            delivered.append(Array(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])))
        }
    }
}

struct Fixture {
    /// Alice's keypair for her session with bob.
    let alice: Keypair
    /// Bob's routing snapshot while his session with alice is live.
    let bob: RoutingSnapshot
    let relay: RelayForwarding
    /// The channels alice and carol send on through bob.
    let channels: (alice: UInt32, carol: UInt32)
    let carolEndpoint = Endpoint("192.0.2.3:51820")!
    /// The receive slot, as big as the real batch's.
    let slot = UnsafeMutableRawBufferPointer.allocate(byteCount: DataPath.payloadOffset + TunDevice.maxOffloadReadBytes,
                                                      alignment: 64)
}

nonisolated(unsafe) var fixture: Fixture?

func input(mode: UInt8, segmentBytes: UInt16, length: UInt16, _ bytes: [UInt8]) -> [UInt8] {
    [mode, UInt8(segmentBytes & 0xff), UInt8(segmentBytes >> 8), UInt8(length & 0xff), UInt8(length >> 8)] + bytes
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let net = FuzzNetwork.shared
    var table = RelayTable()
    var random = SeededRandom(seed: 7)
    guard let channels = table.bind(net.alice.publicKey, to: net.carol.publicKey, now: net.now.instant, random: &random) else {
        fatalError("an empty relay table refused a pair")
    }
    let carolEndpoint = Endpoint("192.0.2.3:51820")!
    let relay = table.forwarding { $0 == net.alice.publicKey ? net.aliceEndpoint : carolEndpoint }
    var transport = [UInt8](repeating: 0, count: TransportHeader.overhead + 8)
    transport.withUnsafeMutableBytes { TransportHeader.write(receiverIndex: 1, counter: 0, into: $0) }
    let enveloped = RelayEnvelope.wrap(transport, channel: channels.requester)
    let initiation = net.initiationFromAlice(payload: net.alicePayload)
    let ping: [UInt8] = [0x45, 0, 0, 24, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2, 8, 0, 0xf7, 0xff]
    var buildRandom = SeededRandom(seed: 9)
    guard let build = CircuitBuild(path: [CircuitHopSpec(node: net.bob.publicKey, onionKey: bobOnionKeys().published[0].key)], circuitID: 7,
                                   random: &buildRandom, now: net.now.instant) else { fatalError("no build to bob") }
    Fuzz.writeSeedsIfRequested([
        ("empty", input(mode: 0, segmentBytes: 0, length: 0, [])),
        ("empty-with-segment-size", input(mode: 1, segmentBytes: 1400, length: 0, [])),
        ("one-byte", input(mode: 0, segmentBytes: 0, length: 1, [0xa5])),
        ("largest", input(mode: 0, segmentBytes: 0, length: 65_535, [0xa5])),
        ("run-of-ones", input(mode: 0, segmentBytes: 1, length: 64, [1, 0, 0, 0])),
        ("segment-larger-than-entry", input(mode: 1, segmentBytes: 65_535, length: 100, transport)),
        ("relayed-run", input(mode: 1, segmentBytes: UInt16(enveloped.count), length: UInt16(enveloped.count * 3), enveloped)),
        ("relayed-run-short-tail", input(mode: 1, segmentBytes: UInt16(enveloped.count), length: UInt16(enveloped.count * 2 + 9),
                                         enveloped)),
        ("relayed-initiation", input(mode: 1, segmentBytes: 0, length: 0,
                                     RelayEnvelope.wrap(initiation, channel: channels.requester))),
        ("initiation-run", input(mode: 0, segmentBytes: UInt16(initiation.count), length: UInt16(initiation.count * 8),
                                 initiation)),
        ("initiation-run-under-load", input(mode: 0x80, segmentBytes: UInt16(initiation.count),
                                            length: UInt16(initiation.count * 8), initiation)),
        ("alice-run", input(mode: 2, segmentBytes: 0, length: 2, ping)),
        ("alice-keepalives", input(mode: 2, segmentBytes: 0, length: 4, [])),
        ("alice-create", input(mode: 2, segmentBytes: 0, length: 0, build.create.encoded)),
        ("alice-creates", input(mode: 2, segmentBytes: 0, length: 3, build.create.encoded)),
    ])
    let (alice, bob) = net.establishedPair()
    guard let keypair = alice.snapshot(now: net.now.instant).route(to: net.bob.body.ipv4.address)?.keypair else {
        fatalError("alice has no session with bob")
    }
    fixture = Fixture(alice: keypair, bob: bob.snapshot(now: net.now.instant), relay: relay, channels: (channels.requester, channels.peer))
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Fuzz.bytes(data, size)
    guard bytes.count >= 5, let fixture else { return 0 }
    let net = FuzzNetwork.shared
    let now = net.now.instant
    let mode = (bytes[0] & 0x7f) % 3
    var segmentBytes = Int(bytes[1]) | Int(bytes[2]) << 8
    let lengthField = Int(bytes[3]) | Int(bytes[4]) << 8
    let content = Array(bytes[5...])

    // The entry, in the slot as recvmmsg leaves it.
    let slot = fixture.slot
    var entryCount: Int
    if mode == 2 {
        let keypair = fixture.alice
        let sealed = TransportHeader.overhead + content.count
        entryCount = 0
        for _ in 0..<(lengthField & 0x3f) + 1 where entryCount + sealed <= slot.count {
            let datagram = UnsafeMutableRawBufferPointer(rebasing: slot[entryCount..<entryCount + sealed])
            datagram.initializeMemory(as: UInt8.self, repeating: 0)
            content.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: datagram[TransportHeader.byteCount...]).copyMemory(from: $0)
            }
            guard keypair.seal(datagram, payloadCount: content.count, now: now) == sealed else { fatalError("alice could not seal") }
            entryCount += sealed
        }
        segmentBytes = sealed
    } else {
        // The content, repeated: each copy doubles what is filled.
        entryCount = content.isEmpty ? 0 : lengthField == 0 ? content.count : lengthField
        content.withUnsafeBytes { slot.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(entryCount))) }
        var filled = Swift.min(content.count, entryCount)
        while filled < entryCount {
            let n = Swift.min(filled, entryCount - filled)
            UnsafeMutableRawBufferPointer(rebasing: slot[filled..<filled + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: slot[0..<n]))
            filled += n
        }
    }
    let entry = UnsafeMutableRawBufferPointer(rebasing: slot[0..<entryCount])
    // What the loop body may rewrite in place (a forwarded envelope's channel) is compared
    // against this copy.
    let entryBytes = Array(entry)

    let snapshot = mode == 0 ? RoutingSnapshot.empty : fixture.bob
    let relay = mode == 1 ? fixture.relay : RelayForwarding.empty
    let circuitRelay = mode == 2
        ? LockedCircuitRelay(CircuitRelay(own: net.bob.publicKey, onionKeys: bobOnionKeys(), random: SeededRandom(seed: 10))) : nil
    let receiver = InboundReceiver(snapshot: snapshot, relay: relay, circuits: circuitRelay?.circuitSwitch ?? .empty,
                                   circuitRelay: circuitRelay, sending: .empty, ends: .empty, now: now)
    var coalescer = TCPCoalescer(capacity: 64)
    let underLoad = bytes[0] & 0x80 != 0
    var sink = RecordingSink(backlog: underLoad ? 1000 : 0)
    // Bob's packet thread's handshake check, as it starts.
    var admission = HandshakeAdmission(ownHandshakeKey: net.bobHandshakeKey, random: SeededRandom(seed: 3))
    receiver.receive(entry: entry, slot: fixture.slot, segmentBytes: segmentBytes, from: net.aliceEndpoint,
                     coalescer: &coalescer, admission: &admission, into: &sink)
    sink.deliver(&coalescer)

    let run = DatagramRun(entryBytes: entryBytes.count, segmentBytes: segmentBytes)
    if mode == 2 {
        for packet in sink.delivered {
            let source = packet.withUnsafeBytes { IPPacket.source($0) }
            Fuzz.check(source.map(net.alice.owns) == true, "delivered a packet from \(String(describing: source))")
        }
        Fuzz.check(sink.forwarded.count <= 1, "bob sent \(sink.forwarded.count) datagrams")
        for (datagram, destination) in sink.forwarded {
            Fuzz.check(destination == net.aliceEndpoint, "bob sent to \(destination)")
            let answer = opened(datagram, by: fixture.alice, now: now).flatMap { try? CircuitMessage(parsing: $0) }
            Fuzz.check(answer?.kind == .created, "bob sent something alice cannot open as a created")
            Fuzz.check((try? CircuitMessage(parsing: content))?.kind == .create, "bob sent a created to no create")
        }
        return 0
    }
    Fuzz.check(sink.delivered.isEmpty, "a stranger's datagram was delivered")
    Fuzz.check(sink.forwarded.count + sink.posted.count + sink.drops == run.count,
               "\(run.count) datagrams, but \(sink.forwarded.count) forwarded, \(sink.posted.count) posted, "
               + "\(sink.drops) dropped")
    for event in sink.posted {
        switch event {
        case .handshake(let message, _):
            let type = message.withUnsafeBytes { MessageType.classify($0) }
            Fuzz.check(type == .cookieReply || hasBobsMAC1(message), "a \(String(describing: type)) without bob's mac1 was posted")
            Fuzz.check(type == .cookieReply || !underLoad, "under load, a \(String(describing: type)) without a cookie was posted")
        case .stun: break
        default: Fuzz.check(false, "a stranger's datagram reached the control thread as \(event)")
        }
    }
    let handshakes = sink.posted.count { if case .handshake = $0 { true } else { false } }
    Fuzz.check(handshakes + sink.replies.count <= 5, "\(handshakes) handshakes and \(sink.replies.count) cookie replies "
               + "from one source passed the gate at once")
    Fuzz.check(underLoad || sink.replies.isEmpty, "a cookie reply at rest")
    Fuzz.check(sink.replies.count <= 2, "\(sink.replies.count) cookie replies to one source at once")
    for (framed, destination) in sink.replies {
        // A message that came in an envelope is answered in one, on its channel.
        let reply = unwrapped(framed)
        let parsed = try? CookieReply(parsing: reply)
        Fuzz.check(parsed != nil && destination == net.aliceEndpoint, "a cookie reply of \(framed.count) bytes to \(destination)")
        let answered = run.contains { segment in
            let received = Array(entryBytes[segment])
            let message = unwrapped(received)
            let sameEnvelope = framed.prefix(framed.count - reply.count) == received.prefix(received.count - message.count)
            return sameEnvelope && message.count >= 8 && reply.count >= 8 && message[4..<8] == reply[4..<8]
        }
        Fuzz.check(answered, "a cookie reply answers no message's sender index, or not on its path")
    }
    var segments = run
    for (forwarded, destination) in sink.forwarded {
        Fuzz.check(mode == 1 && destination == fixture.carolEndpoint, "forwarded to \(destination) in mode \(mode)")
        Fuzz.check(forwarded.withUnsafeBytes { RelayEnvelope.channel($0) } == fixture.channels.carol,
                   "forwarded on a channel not carol's")
        // Each forwarded datagram is a later segment of the run, rewritten only in its channel.
        var matched = false
        while !matched, let segment = segments.next() {
            matched = segment.count == forwarded.count
                && entryBytes[segment].dropFirst(RelayEnvelope.byteCount).elementsEqual(forwarded.dropFirst(RelayEnvelope.byteCount))
        }
        Fuzz.check(matched, "forwarded \(forwarded.count) bytes that are no segment of the run")
    }
    return 0
}

/// Whether an initiation or response carries a mac1 keyed by bob's public key, checked as the
/// session manager checks it (on the parsed message, not as the packet thread does).
func hasBobsMAC1(_ message: [UInt8]) -> Bool {
    let net = FuzzNetwork.shared
    let key = HandshakeMAC.key(for: net.bobHandshakeKey)
    if let initiation = try? HandshakeInitiation(parsing: message) {
        return HandshakeMAC.verify(initiation.bytesBeforeMAC, mac: initiation.mac1, key: key)
    }
    if let response = try? HandshakeResponse(parsing: message) {
        return HandshakeMAC.verify(response.bytesBeforeMAC, mac: response.mac1, key: key)
    }
    return false
}

/// Bob's onion keys as a relay: the same at every call.
func bobOnionKeys() -> OnionKeyRing {
    var random = SeededRandom(seed: 8)
    return OnionKeyRing(now: FuzzNetwork.shared.now.unixSeconds, random: &random)
}

/// The plaintext of a transport packet `keypair` opens.
func opened(_ datagram: [UInt8], by keypair: Keypair, now: Instant) -> [UInt8]? {
    var packet = datagram
    return packet.withUnsafeMutableBytes { raw -> [UInt8]? in
        guard let (_, counter) = TransportHeader.parse(UnsafeRawBufferPointer(raw)),
              case .success(let count) = keypair.open(raw, counter: counter, now: now) else { return nil }
        return Array(raw[TransportHeader.byteCount..<TransportHeader.byteCount + count])
    }
}

/// A datagram without its relay envelope, if it has one.
func unwrapped(_ datagram: [UInt8]) -> [UInt8] {
    datagram.withUnsafeBytes { MessageType.classify($0) } == .relayEnvelope ? Array(datagram.dropFirst(RelayEnvelope.byteCount)) : datagram
}
