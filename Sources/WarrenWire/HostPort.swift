/// A server as a user writes it: `HOST:PORT`, where HOST is an IP address (an IPv6 one in
/// brackets) or a DNS name, which is looked up when the server is needed.
public struct HostPort: Hashable, Sendable {
    /// The name, lowercased without a trailing dot, or the address as written.
    public let host: String
    public let port: UInt16
    /// The address itself when HOST is one: nothing to look up.
    public let endpoint: Endpoint?

    /// `192.0.2.1:3478`, `[2001:db8::1]:3478` or `stun.example.net:3478`; nil for anything
    /// else, such as a name that is not a valid host name (RFC 1123) or a port of 0.
    public init?(_ text: some StringProtocol) {
        if let endpoint = Endpoint(text) {
            guard endpoint.port != 0 else { return nil }
            self.endpoint = endpoint
            host = endpoint.address.description
            port = endpoint.port
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port != 0 else { return nil }
        var name = text[..<colon].lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard Self.isHostName(name) else { return nil }
        host = name
        self.port = port
        endpoint = nil
    }

    /// Letters, digits and inner hyphens in labels of 1–63 characters, 253 in all, and a last
    /// label that is not all digits (so a mistyped IPv4 address is not taken for a name).
    static func isHostName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.utf8.allSatisfy({ $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return !labels.last!.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

extension HostPort: CustomStringConvertible {
    public var description: String { endpoint?.description ?? "\(host):\(port)" }
}

private extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
