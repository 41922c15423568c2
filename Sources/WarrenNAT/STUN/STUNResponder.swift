public import WarrenWire

/// The STUN Binding server every node runs on its Warren port (RFC 8489 §6.3): it tells
/// whoever asks which address and port their request came from, so a mesh needs no outside
/// STUN server. Sans-I/O: a request in, the response's bytes out.
///
/// Anyone may ask, so answers are rate-limited per source address and in total: a response
/// is at most 68 bytes, yet this port must not become a reflector worth abusing.
public struct STUNResponder: Sendable {
    public struct Limits: Sendable {
        public var perAddressPerSecond = 10.0
        public var perAddressBurst = 20.0
        public var totalPerSecond = 500.0
        public var totalBurst = 1000.0
        /// Source addresses with their own bucket at once; beyond, the quietest are forgotten.
        public var trackedAddresses = 4096
        public init() {}
    }

    public enum Outcome: Equatable, Sendable {
        /// Send these bytes back to the source.
        case respond([UInt8])
        /// Not a request (responses go to the client, indications need no answer).
        case notARequest
        case rateLimited
    }

    let limits: Limits
    private var total: TokenBucket
    private var perAddress: KeyedRateLimiter<IPAddress>

    public init(limits: Limits = Limits()) {
        self.limits = limits
        total = TokenBucket(capacity: limits.totalBurst, perSecond: limits.totalPerSecond, now: .zero)
        perAddress = KeyedRateLimiter(capacity: limits.perAddressBurst, perSecond: limits.perAddressPerSecond,
                                      maxKeys: limits.trackedAddresses)
    }

    public mutating func handle(_ request: STUNMessage, from source: Endpoint, now: Instant) -> Outcome {
        guard request.messageClass == .request else { return .notARequest }
        guard admit(source.address, now: now) else { return .rateLimited }
        var response = STUNMessage(method: request.method, class: .success, transactionID: request.transactionID)
        response.cookie = request.cookie
        let unknown = Self.unknownRequired(in: request)
        if request.method != STUNMessage.bindingMethod {
            response.messageClass = .error
            response.append(errorCode: 400, reason: "Bad Request")
        } else if !unknown.isEmpty {
            // RFC 8489 §6.3.1: name the attributes we had to understand and did not (the
            // first few: the answer must stay small whatever the request holds).
            var named: [UInt16] = []
            for type in unknown where !named.contains(type) && named.count < 4 { named.append(type) }
            response.messageClass = .error
            response.append(errorCode: 420, reason: "Unknown Attribute")
            response.attributes.append(STUNAttribute(.unknownAttributes, value: named.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }))
        } else {
            response.append(mappedAddress: source)
        }
        // FINGERPRINT is for telling STUN from other traffic by the cookie; RFC 3489 has neither.
        return .respond(response.encoded(fingerprint: !request.isClassic))
    }

    /// Comprehension-required attributes a Binding server without credentials or alternate
    /// addresses cannot honour. CHANGE-REQUEST asking for no change is the old RFC 3489 way of
    /// saying nothing, which clients still send; asking for a change we cannot make is not.
    static func unknownRequired(in request: STUNMessage) -> [UInt16] {
        let understood: Set<UInt16> = [STUNAttribute.Kind.username.rawValue, STUNAttribute.Kind.messageIntegrity.rawValue]
        return request.attributes.compactMap { attribute in
            guard attribute.isComprehensionRequired, !understood.contains(attribute.type) else { return nil }
            if attribute.type == STUNAttribute.Kind.changeRequest.rawValue, attribute.value.allSatisfy({ $0 == 0 }) { return nil }
            return attribute.type
        }
    }

    private mutating func admit(_ address: IPAddress, now: Instant) -> Bool {
        perAddress.allow(address, now: now) && total.take(now: now)
    }
}
