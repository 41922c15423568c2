/// How datagrams reach a peer: straight to its endpoint, or in relay envelopes on `channel`
/// to the relay at `endpoint`. A session belongs to the peer, not to a path; the path is only
/// where its datagrams go.
public struct Path: Hashable, Sendable {
    /// The peer's endpoint, or the relay's.
    public var endpoint: Endpoint
    /// The relay channel; 0 for a direct path (no relay allocates 0).
    public var channel: UInt32

    public init(endpoint: Endpoint, channel: UInt32 = 0) {
        self.endpoint = endpoint
        self.channel = channel
    }

    public static func direct(_ endpoint: Endpoint) -> Path { Path(endpoint: endpoint) }

    public var isRelayed: Bool { channel != 0 }

    /// `datagram` as it goes out on this path: as it is, or in an envelope.
    public func framing(_ datagram: [UInt8]) -> [UInt8] {
        isRelayed ? RelayEnvelope.wrap(datagram, channel: channel) : datagram
    }
}

extension Path: CustomStringConvertible {
    public var description: String { isRelayed ? "\(endpoint) channel \(channel)" : endpoint.description }
}
