/// What a node may do for others besides talking to them, granted by the CA.
public struct Roles: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Forwards end-to-end ciphertext between members that cannot reach each other.
    public static let relay = Roles(rawValue: 1 << 0)
    /// Routes circuit traffic out to the internet.
    public static let exit = Roles(rawValue: 1 << 1)

    public static let known: Roles = [.relay, .exit]

    public var names: [String] {
        var out: [String] = []
        if contains(.relay) { out.append("relay") }
        if contains(.exit) { out.append("exit") }
        return out
    }

    public var description: String { names.isEmpty ? "none" : names.joined(separator: ",") }
}
