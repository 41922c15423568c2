public import WarrenCrypto
public import WarrenPKI
public import WarrenWire

/// Decides which LAN beacons this node believes, as the control thread hands them over from
/// the beacon socket with how they arrived. A beacon is believed only if it
/// - was sent to the beacon group and arrived with the TTL (hop limit) of 1 it is sent with,
///   so it came from a directly connected link: no unicast, nothing a router forwarded;
/// - carries a certificate our CA signed, and is signed by that certificate's key;
/// - was signed within `freshness` of this node's clock, and later than any beacon already
///   believed from that key (so a recorded beacon cannot be played back).
///
/// What a believed beacon may change about a peer is the session manager's call
/// (`SessionManager.seenOnLAN`): it adds a candidate address, never more. Sans-I/O: time
/// comes in as an argument.
public struct LANBeaconGate: Sendable {
    /// How far a beacon's time may be from ours, either way: clocks on one LAN agree to well
    /// within this (NTP), and a beacon is sent every 10 s.
    public static let freshnessMilliseconds: UInt64 = 30_000
    /// Members remembered at once. Only keys heard within `freshness` need remembering (an
    /// older beacon is refused as stale anyway), so a full table first forgets the rest.
    public static let maxKeys = 256

    public let authority: AuthorityCertificate
    /// This node's own key: its own beacons, should one come back, tell it nothing.
    public let ownKey: Key32
    /// The newest time stamp believed per key, in unix milliseconds.
    private var newest: [Key32: UInt64] = [:]

    public init(authority: AuthorityCertificate, ownKey: Key32) {
        self.authority = authority
        self.ownKey = ownKey
    }

    /// How a datagram reached the beacon socket, as the kernel told it.
    public struct Arrival: Sendable {
        public var source: Endpoint
        /// The destination address in its IP header.
        public var destination: IPAddress
        /// Its IPv4 TTL or IPv6 hop limit on arrival.
        public var hopLimit: Int

        public init(source: Endpoint, destination: IPAddress, hopLimit: Int) {
            self.source = source
            self.destination = destination
            self.hopLimit = hopLimit
        }
    }

    /// A believed beacon: the member's certificate, and where it says it listens.
    public struct Accepted: Sendable {
        public let certificate: Certificate
        public let endpoint: Endpoint
    }

    /// Checks a beacon; throws why it is not believed. Cheap checks come first, so that
    /// replays and junk cost no signature check.
    public mutating func accept(_ bytes: [UInt8], arrival: Arrival, now: Moment) throws(LANBeaconRefusal) -> Accepted {
        guard arrival.destination == .v4(LANBeacon.group) || arrival.destination == .v6(LANBeacon.groupIPv6) else {
            throw .notToGroup(arrival.destination)
        }
        guard arrival.hopLimit == 1 else { throw .routed(hopLimit: arrival.hopLimit) }
        let beacon: LANBeacon
        let unchecked: UncheckedCertificate
        do {
            beacon = try LANBeacon(parsing: bytes)
            unchecked = try UncheckedCertificate(parsing: beacon.certificate)
        } catch {
            throw .malformed
        }
        let key = unchecked.body.publicKey
        guard key != ownKey else { throw .own }
        let nowMilliseconds = now.unixNanoseconds / 1_000_000
        let skew = Int64(bitPattern: beacon.unixMilliseconds &- nowMilliseconds)
        guard skew.magnitude <= Self.freshnessMilliseconds else { throw .stale(skewMilliseconds: skew) }
        if let last = newest[key], beacon.unixMilliseconds <= last { throw .replayed }
        let certificate: Certificate
        do {
            certificate = try unchecked.verify(authority: authority, atUnixTime: now.unixSeconds)
        } catch {
            throw .certificate(error)
        }
        guard beacon.isSigned(by: key) else { throw .badSignature }
        try remember(key, at: beacon.unixMilliseconds, now: nowMilliseconds)
        return Accepted(certificate: certificate, endpoint: Endpoint(address: arrival.source.address, port: beacon.port))
    }

    private mutating func remember(_ key: Key32, at milliseconds: UInt64, now: UInt64) throws(LANBeaconRefusal) {
        if newest[key] == nil, newest.count >= Self.maxKeys {
            newest = newest.filter { $0.value &+ Self.freshnessMilliseconds >= now }
            guard newest.count < Self.maxKeys else { throw .tooManySenders }
        }
        newest[key] = milliseconds
    }
}

/// Why a LAN beacon is not believed; `description` is a sentence.
public enum LANBeaconRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    case notToGroup(IPAddress)
    case routed(hopLimit: Int)
    case malformed
    case own
    case stale(skewMilliseconds: Int64)
    case replayed
    case certificate(CertificateError)
    case badSignature
    case tooManySenders

    public var description: String {
        switch self {
        case .notToGroup(let address): "a beacon sent to \(address) rather than the LAN beacon group is not believed"
        case .routed(let hops): "a beacon that arrives with TTL \(hops), not 1, did not come from a directly connected link"
        case .malformed: "the beacon or its certificate is malformed"
        case .own: "the beacon is this node's own"
        case .stale(let skew): "the beacon was signed \(skew.magnitude / 1000) s \(skew < 0 ? "ago" : "ahead"), beyond the 30 s allowed"
        case .replayed: "the beacon is no newer than one already heard from that member: a replay"
        case .certificate(let error): "the beacon's \(error)"
        case .badSignature: "the beacon is not signed by its certificate's key"
        case .tooManySenders: "too many members were heard on the LAN in the last 30 s to remember another"
        }
    }
}
