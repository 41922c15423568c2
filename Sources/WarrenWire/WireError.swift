/// Why bytes from the network (or a file) could not be decoded. Decoders throw these instead of
/// trapping, so hostile input is counted and dropped.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the format needs.
    case truncated(needed: Int, available: Int)
    /// Bytes left over after a complete message.
    case trailingBytes(Int)
    /// A field holds a value the format does not allow.
    case invalidField(String)
    /// An unknown message type or version.
    case unsupported(String)

    public var description: String {
        switch self {
        case .truncated(let needed, let available): "truncated: needed \(needed) bytes, had \(available)"
        case .trailingBytes(let n): "\(n) unexpected trailing bytes"
        case .invalidField(let what): "invalid \(what)"
        case .unsupported(let what): "unsupported \(what)"
        }
    }
}
