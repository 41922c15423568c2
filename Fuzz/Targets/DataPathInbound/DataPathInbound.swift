// DataPath.inbound: the verdict on every datagram that reaches the UDP port. The first input
// byte picks who sends it (selector % 4):
//
// 0. anyone, to a node with no sessions (RoutingSnapshot.empty);
// 1. anyone, to bob while he has a live session with alice (a real snapshot);
// 2. alice, through that session: the rest is the plaintext she seals with her real keys,
//    so the fuzzer reaches what bob does after decryption (the inner-packet checks);
// 3. the same, through a relay: in a relay envelope.
//
// Invariants:
// - Modes 0 and 1: nobody without the keys gets a packet delivered, a keepalive or a
//   control message accepted; only handshake messages and cookie replies (bare or in a
//   relay envelope) go to the control thread as handshakes, and only up to their longest
//   size; only non-Warren datagrams carrying the STUN cookie go to it as STUN, and only up
//   to 1280 bytes; LAN beacons never do (they are believed only as multicast, on a socket
//   of their own).
// - Mode 2: alice's own packets always authenticate; an empty one is a keepalive; one whose
//   first byte is below 0x40 is a control message of its full length; a delivered packet is
//   a complete IP header or more, no longer than what she sent, is left in place decrypted,
//   its inner source address belongs to alice's certificate and its destination to bob's.
//   Offsets point past the envelope when there is one, the path says whether it came
//   through a relay, and only a bare packet can report a move.
import FuzzFixtures
import FuzzSupport
import WarrenSession
import WarrenWire

nonisolated(unsafe) var pair: (alice: SessionManager, bob: SessionManager)?

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let net = FuzzNetwork.shared
    let ping: [UInt8] = [0x45, 0, 0, 24, 0, 0, 0x40, 0, 64, 1, 0, 0, 10, 8, 0, 1, 10, 8, 0, 2, 8, 0, 0xf7, 0xff]
    let ping6: [UInt8] = [0x60, 0, 0, 0, 0, 4, 58, 64] + net.alice.body.ipv6.address.bytes
        + net.bob.body.ipv6.address.bytes + [128, 0, 0, 0]
    var transport = [UInt8](repeating: 0, count: TransportHeader.overhead + 8)
    transport.withUnsafeMutableBytes { TransportHeader.write(receiverIndex: 1, counter: 0, into: $0) }
    Fuzz.writeSeedsIfRequested([
        ("anyone-transport", FuzzInput.encode(mode: 0, transport)),
        ("anyone-initiation", FuzzInput.encode(mode: 1, net.initiationFromAlice(payload: net.alicePayload))),
        ("alice-ping", FuzzInput.encode(mode: 2, ping)),
        ("alice-ping6", FuzzInput.encode(mode: 2, ping6)),
        ("alice-subnet", FuzzInput.encode(mode: 2, [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 168, 10, 7, 10, 8, 0, 2])),
        ("alice-control", FuzzInput.encode(mode: 2, [0x01, 0x02, 0x03])),
        ("relayed-ping", FuzzInput.encode(mode: 3, ping)),
        ("anyone-relayed-initiation", FuzzInput.encode(mode: 1, RelayEnvelope.wrap(net.initiationFromAlice(payload: net.alicePayload),
                                                                                    channel: 9))),
        ("alice-keepalive", FuzzInput.encode(mode: 2, [])),
        // Found by this target: an IPv4 total length (4) shorter than the header was delivered.
        // Tests/WarrenSessionTests/FuzzRegressionTests.swift.
        ("regression-runt-ipv4", FuzzInput.encode(mode: 2, [0x45, 0, 0, 4, 0xf7, 0, 0, 0, 0x40, 0x11, 0, 0,
                                                              0xc0, 0xa8, 0x0a, 0x0a, 0x07, 0x08, 0, 0x02])),
    ])
    pair = net.establishedPair()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(Fuzz.bytes(data, size))
    let net = FuzzNetwork.shared
    guard let (alice, bob) = pair else { fatalError("LLVMFuzzerInitialize did not run") }
    let now = net.now.instant
    var notices = DataPath.Notices()

    switch input.selector % 4 {
    case 0, 1:
        let snapshot = input.selector % 4 == 0 ? RoutingSnapshot.empty : bob.snapshot(now: now)
        var datagram = input.rest
        let bare = datagram.withUnsafeBytes { MessageType.classify($0) }
        let enveloped = datagram.withUnsafeBytes { RelayEnvelope.channel($0) != nil }
        // What the envelope holds, if there is one.
        let type = enveloped ? Array(datagram.dropFirst(RelayEnvelope.byteCount)).withUnsafeBytes { MessageType.classify($0) } : bare
        let verdict = datagram.withUnsafeMutableBytes {
            DataPath.inbound($0, from: net.aliceEndpoint, snapshot: snapshot, now: now, notices: &notices)
        }
        switch verdict {
        case .handshake:
            Fuzz.check([.handshakeInitiation, .handshakeResponse, .cookieReply].contains(type), "\(String(describing: type)) sent to handshake")
            let inner = datagram.count - (enveloped ? RelayEnvelope.byteCount : 0)
            Fuzz.check(type != .cookieReply || inner <= CookieReply.byteCount, "a \(inner)-byte cookie reply sent on")
        case .stun:
            Fuzz.check(bare == nil && datagram.withUnsafeBytes { MessageType.isSTUN($0) }, "\(String(describing: bare)) sent to STUN")
            Fuzz.check(datagram.count <= MessageType.maxSTUNByteCount, "a \(datagram.count)-byte STUN message sent on")
        case .drop:
            let inner = datagram.count - (enveloped ? RelayEnvelope.byteCount : 0)
            Fuzz.check(type != .handshakeInitiation && type != .handshakeResponse || inner > HandshakeInitiation.maxByteCount,
                       "handshake message of \(inner) bytes dropped")
            Fuzz.check(type != .cookieReply || inner > CookieReply.byteCount, "cookie reply of \(inner) bytes dropped")
        case .deliver, .keepalive, .control, .circuitAnswer:
            Fuzz.check(false, "unauthenticated datagram accepted as \(verdict)")
        }
        Fuzz.check(notices.confirmed == nil && notices.roamed == nil, "unauthenticated datagram changed session state")

    default:
        let plaintext = input.rest
        guard let route = alice.snapshot(now: now).route(to: net.bob.body.ipv4.address), let keypair = route.keypair else {
            fatalError("alice has no session with bob")
        }
        let relayed = input.selector % 4 == 3
        var datagram = [UInt8](repeating: 0, count: TransportHeader.overhead + plaintext.count)
        datagram.replaceSubrange(TransportHeader.byteCount..<TransportHeader.byteCount + plaintext.count, with: plaintext)
        guard let length = datagram.withUnsafeMutableBytes({ keypair.seal($0, payloadCount: plaintext.count, now: now) }),
              length == datagram.count else { fatalError("alice could not seal") }
        if relayed { datagram = RelayEnvelope.wrap(datagram, channel: 0x0102_0304) }
        let offset = (relayed ? RelayEnvelope.byteCount : 0) + TransportHeader.byteCount
        let snapshot = bob.snapshot(now: now)
        let verdict = datagram.withUnsafeMutableBytes {
            DataPath.inbound($0, from: net.aliceEndpoint, snapshot: snapshot, now: now, notices: &notices)
        }
        let inPlace = Array(datagram[offset..<offset + plaintext.count])
        switch verdict {
        case .keepalive:
            Fuzz.check(plaintext.isEmpty, "a \(plaintext.count)-byte packet taken for a keepalive")
        case .control(let at, let n, let link, let path, _):
            Fuzz.check(at == offset && path.isRelayed == relayed, "control message at \(at) on \(path)")
            Fuzz.check(!plaintext.isEmpty && plaintext[0] < 0x40, "packet starting \(plaintext.prefix(1)) taken for control")
            Fuzz.check(n == plaintext.count && inPlace == plaintext, "control message of \(plaintext.count) bytes came out as \(n)")
            Fuzz.check(link.publicKey == net.alice.publicKey, "control message attributed to \(link.name)")
        case .deliver(let at, let n):
            Fuzz.check(at == offset, "delivered from offset \(at), not \(offset)")
            Fuzz.check(!plaintext.isEmpty && plaintext[0] >= 0x40, "packet starting \(plaintext.prefix(1)) delivered")
            Fuzz.check(n <= plaintext.count, "delivered \(n) bytes of a \(plaintext.count)-byte packet")
            Fuzz.check(inPlace == plaintext, "delivered bytes differ from what alice sent")
            let delivered = Array(inPlace.prefix(n))
            let version = delivered.withUnsafeBytes { IPPacket.version($0) }
            let minimum = version == 6 ? IPPacket.ipv6HeaderBytes : IPPacket.ipv4HeaderMin
            Fuzz.check(n >= minimum, "delivered a \(n)-byte packet of IP version \(String(describing: version)), "
                + "shorter than its header: \(delivered)")
            guard let source = delivered.withUnsafeBytes({ IPPacket.source($0) }) else {
                Fuzz.check(false, "delivered a packet without a source address: \(delivered)")
                return 0
            }
            Fuzz.check(net.alice.owns(source), "delivered a packet from \(source), which alice does not own")
            let destination = delivered.withUnsafeBytes { IPPacket.destination($0) }
            Fuzz.check(destination.map(net.bob.owns) == true, "delivered a packet to \(String(describing: destination)), not bob's")
        case .drop(let reason):
            Fuzz.check([.malformed, .sourceNotOwned, .destinationNotLocal].contains(reason), "alice's packet dropped as \(reason)")
            if reason == .destinationNotLocal, let destination = plaintext.withUnsafeBytes({ IPPacket.destination($0) }) {
                Fuzz.check(!net.bob.owns(destination), "dropped a packet to \(destination), which bob owns")
            }
            if reason == .sourceNotOwned, let source = plaintext.withUnsafeBytes({ IPPacket.source($0) }) {
                Fuzz.check(!net.alice.owns(source), "dropped a packet from \(source), which alice owns")
            }
        case .handshake, .stun, .circuitAnswer:
            // Bob reserves no ports for circuits: nothing is an answer to one.
            Fuzz.check(false, "alice's transport packet handed to the control thread as \(verdict)")
        }
        Fuzz.check(notices.confirmed == nil && notices.roamed == nil, "a packet on a confirmed session changed its state")
    }
    return 0
}
