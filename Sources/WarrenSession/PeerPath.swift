/// How packets reach a peer, as `warren status` and `warren ping` name it. In JSON it is
/// the words the table shows ("direct", "LAN", "relayed via NAME"), which scripts match.
public enum PeerPath: Equatable, Sendable, CustomStringConvertible {
    /// Straight to its endpoint, which is not on a network of this host's.
    case direct
    /// Straight to its endpoint on one of this host's own networks.
    case lan
    /// Through a relay: its name, or its endpoint while the relay is not known by name.
    case relayed(via: String)

    public var description: String {
        switch self {
        case .direct: "direct"
        case .lan: "LAN"
        case .relayed(let relay): "relayed via \(relay)"
        }
    }

    public init?(_ text: String) {
        switch text {
        case "direct": self = .direct
        case "LAN": self = .lan
        default:
            guard text.hasPrefix("relayed via "), text.count > "relayed via ".count else { return nil }
            self = .relayed(via: String(text.dropFirst("relayed via ".count)))
        }
    }
}

extension PeerPath: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let path = PeerPath(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown path \"\(text)\""))
        }
        self = path
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
