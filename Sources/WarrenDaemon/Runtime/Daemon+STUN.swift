import WarrenNAT
import WarrenSession
import WarrenWire

/// STUN on the Warren port: every node answers Binding requests, so members learn their
/// reflexive addresses from each other and a mesh needs no outside STUN server.
extension Daemon {
    func handleSTUN(_ bytes: [UInt8], from source: Endpoint, now: Moment, into actions: inout [SessionAction]) {
        guard let message = try? STUNMessage(parsing: bytes) else {
            drops.count(.malformed)
            return
        }
        switch stunResponder.handle(message, from: source, now: now.instant) {
        case .respond(let response):
            actions.append(.send(response, to: source))
        case .rateLimited:
            drops.count(.rateLimited)
        case .notARequest:
            // An answer to one of this node's requests, or nothing anyone asked for.
            if !netCheckAnswered(message, from: source, now: now) { drops.count(.unknownType) }
        }
    }
}
