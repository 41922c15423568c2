import WarrenNAT
import WarrenSession
import WarrenWire

/// STUN on the Warren port: every node answers Binding requests, so members learn their
/// reflexive addresses from each other and a mesh needs no outside STUN server.
extension Node {
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
            if !stunAnswered(message, from: source, now: now), !dialBackAnswered(message, from: source, now: now, into: &actions) {
                drops.count(.unknownType)
            }
        }
    }

    /// A STUN response: for whichever network check (or the candidate probe) sent its request.
    func stunAnswered(_ response: STUNMessage, from source: Endpoint, now: Moment) -> Bool {
        if candidateProbe?.handle(response, from: source, now: now.instant) == true { return true }
        for i in netChecks.indices where netChecks[i].probe.handle(response, from: source, now: now.instant) {
            finishNetChecks(now: now)
            return true
        }
        return false
    }
}
