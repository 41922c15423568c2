import Glibc
public import WarrenWire

/// Looks host names up with the C library's resolver (getaddrinfo: /etc/hosts, then DNS, as
/// nsswitch.conf says). It blocks, for as long as the resolver's timeouts, so it belongs on a
/// thread of its own, never the control or packet threads.
public enum HostNameLookup {
    /// What the resolver said when it found nothing usable.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// The UDP endpoints `host` has at `port`, IPv4 ones first, each once.
    public static func endpoints(of host: String, port: UInt16) -> Result<[Endpoint], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0 else {
            let reason = rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc))
            return .failure(Failure(description: reason))
        }
        defer { freeaddrinfo(list) }
        var found: [Endpoint] = []
        var entry = list
        while let info = entry {
            if let address = info.pointee.ai_addr,
               let endpoint = SocketAddress.endpoint(from: address, length: Int(info.pointee.ai_addrlen)),
               !found.contains(endpoint) {
                found.append(endpoint)
            }
            entry = info.pointee.ai_next
        }
        guard !found.isEmpty else { return .failure(Failure(description: "no IPv4 or IPv6 address")) }
        return .success(found.filter(\.address.isIPv4) + found.filter { !$0.address.isIPv4 })
    }
}
