/// A UDP address on the underlay: where a peer's packets come from and go to.
public struct Endpoint: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `1.2.3.4:51820` or `[2001:db8::1]:51820`.
    public init?(_ text: some StringProtocol) {
        let s = Substring(text)
        if s.first == "[" {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let host = s[s.index(after: s.startIndex)..<close]
            let rest = s[s.index(after: close)...]
            guard rest.first == ":", let port = UInt16(rest.dropFirst()), let a = IPv6Address(host) else { return nil }
            self.init(address: .v6(a), port: port)
        } else {
            guard let colon = s.lastIndex(of: ":"), let a = IPv4Address(s[..<colon]),
                  let port = UInt16(s[s.index(after: colon)...]) else { return nil }
            self.init(address: .v4(a), port: port)
        }
    }
}

extension Endpoint: CustomStringConvertible {
    public var description: String {
        switch address {
        case .v4(let a): "\(a):\(port)"
        case .v6(let a): "[\(a)]:\(port)"
        }
    }
}
