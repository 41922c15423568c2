// SessionManager.handleHandshake: the control thread's answer to handshake datagrams. The
// first input byte picks who sends what to a freshly made bob (selector % 4):
//
// 0. anyone: the rest, as it is;
// 1. anyone who knows bob's public key: the rest with a correct mac1 (which anyone can
//    compute), so the bytes reach the Noise decryption;
// 2. alice, a genuine member: a real Noise initiation whose encrypted payload is the rest,
//    so the fuzzer reaches payload and certificate decoding and verification;
// 3. alice answering bob's own initiation: a real Noise response whose payload is the rest.
//
// (Cookies under load are demanded by the packet thread: the ReceiveLoop target covers them.)
//
// Invariants:
// - Modes 0 and 1 never establish a session, send anything or log a refusal: without a
//   static key bob accepts, nothing gets past Noise.
// - Modes 2 and 3 establish a session exactly when the payload decodes and carries alice's
//   real certificate (a fuzzer cannot forge another). Then bob answers alice at her
//   endpoint: with a response to her index (mode 2) or a transport packet (mode 3).
//   Otherwise bob sends nothing and either drops the message or refuses it once.
import FuzzFixtures
import FuzzSupport
import WarrenSession
import WarrenWire

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let net = FuzzNetwork.shared
    // Raw-mode seeds are well-framed but not genuine: a genuine initiation is something only
    // a key holder can make, and modes 2 and 3 cover those.
    let garbage = HandshakeInitiation(senderIndex: 0x1122_3344, noise: [UInt8](repeating: 0x42, count: 96 + 40)).encoded
    let response = HandshakeResponse(senderIndex: 9, receiverIndex: 0x1122_3344, noise: [UInt8](repeating: 0x24, count: 48)).encoded
    Fuzz.writeSeedsIfRequested([
        ("anyone-initiation", FuzzInput.encode(mode: 0, garbage)),
        ("anyone-with-mac", FuzzInput.encode(mode: 1, garbage)),
        ("anyone-response-with-mac", FuzzInput.encode(mode: 1, response)),
        ("alice-initiates", FuzzInput.encode(mode: 2, net.alicePayload)),
        ("alice-responds", FuzzInput.encode(mode: 3, net.aliceReplyPayload)),
        ("anyone-cookie-reply", FuzzInput.encode(mode: 0, CookieReply(receiverIndex: 0x1122_3344, nonce: Array(0..<24),
                                                                        encryptedCookie: Array(24..<56)).encoded)),
    ])
    // The fixture's handshakes must work, or every mode 2 and 3 input would be refused.
    _ = net.establishedPair()
    Fuzz.check(established(mode: 2, payload: net.alicePayload), "alice's genuine initiation was refused")
    Fuzz.check(established(mode: 3, payload: net.aliceReplyPayload), "alice's genuine response was refused")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(Fuzz.bytes(data, size))
    _ = established(mode: input.selector % 4, payload: input.rest)
    return 0
}

/// Runs one input and checks the invariants; returns whether bob established a session.
func established(mode: UInt8, payload rest: [UInt8]) -> Bool {
    let net = FuzzNetwork.shared
    var actions: [SessionAction] = []
    switch mode {
    case 0, 1:
        let bob = net.bobManager(knowsAlice: true)
        let datagram = mode == 0 ? rest : net.withBobMAC(rest)
        let dropped = bob.handleHandshake(datagram, from: .direct(net.aliceEndpoint), now: net.now, into: &actions)
        Fuzz.check(dropped != nil && actions.isEmpty, "anyone's datagram got \(String(describing: dropped)), \(actions)")
        return false

    case 2:
        let bob = net.bobManager(knowsAlice: false)
        let initiation = net.initiationFromAlice(payload: rest, senderIndex: 0x1122_3344)
        let dropped = bob.handleHandshake(initiation, from: .direct(net.aliceEndpoint), now: net.now, into: &actions)
        let genuine = carriesAliceCertificate(rest)
        if genuine && initiation.count <= HandshakeInitiation.maxByteCount {
            Fuzz.check(dropped == nil && actions.establishedCount == 1, "alice's initiation refused: \(String(describing: dropped)), \(actions)")
            let sends = actions.sends
            Fuzz.check(sends.count == 1 && sends[0].to == net.aliceEndpoint, "bob answered with \(sends.count) datagrams")
            let response = try? HandshakeResponse(parsing: sends[0].bytes)
            Fuzz.check(response?.receiverIndex == 0x1122_3344, "bob's response does not answer alice's index")
            return true
        }
        checkRefused(dropped, actions)
        return false

    default:
        let bob = net.bobManager(knowsAlice: true)
        bob.start(now: net.now, into: &actions)
        guard let initiation = actions.sends.first?.bytes,
              let response = net.responseFromAlice(to: initiation, payload: rest) else {
            fatalError("bob's initiation to alice is not genuine")
        }
        actions = []
        let dropped = bob.handleHandshake(response, from: .direct(net.aliceEndpoint), now: net.now, into: &actions)
        if carriesAliceCertificate(rest) && response.count <= HandshakeResponse.maxByteCount {
            Fuzz.check(dropped == nil && actions.establishedCount == 1, "alice's response refused: \(String(describing: dropped)), \(actions)")
            let sends = actions.sends
            Fuzz.check(sends.count == 1 && sends[0].to == net.aliceEndpoint
                       && sends[0].bytes.withUnsafeBytes({ MessageType.classify($0) }) == .transport,
                       "bob confirmed the session with \(sends.count) datagrams")
            return true
        }
        checkRefused(dropped, actions)
        return false
    }
}

/// Does `payload` decode, and carry alice's real certificate?
func carriesAliceCertificate(_ payload: [UInt8]) -> Bool {
    (try? HandshakePayload(parsing: payload))?.certificate == FuzzNetwork.shared.alice.encoded
}

/// A refused handshake: no session, nothing sent, and either a drop reason or one refusal.
func checkRefused(_ dropped: DropReason?, _ actions: [SessionAction]) {
    Fuzz.check(actions.establishedCount == 0 && actions.sends.isEmpty,
               "a handshake without alice's certificate established a session: \(actions)")
    let refusals = actions.count { if case .refused = $0 { true } else { false } }
    Fuzz.check(dropped == nil ? refusals == 1 : refusals == 0,
               "refused with \(String(describing: dropped)) and \(refusals) refusals")
}
