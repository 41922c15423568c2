import Glibc
import WarrenWire

/// Converts between `Endpoint` and the kernel's sockaddr_in / sockaddr_in6, reading and
/// writing caller-provided raw memory (a slot of a preallocated sockaddr_storage array), so
/// the packet path converts addresses without allocating.
///
/// Raw loads and stores are used on purpose: the memory is a byte area that the kernel
/// fills with either family, and loading a trivial C struct from raw memory is defined
/// whatever the memory was last bound to.
enum SocketAddress {
    static let storageBytes = MemoryLayout<sockaddr_storage>.size
    static let storageAlignment = MemoryLayout<sockaddr_storage>.alignment

    /// The endpoint in a sockaddr the kernel wrote. IPv4-mapped IPv6 addresses
    /// (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4 peers) come back as `.v4`,
    /// so a peer has one identity whichever socket family saw it. Nil for other families or
    /// a length too short for the family.
    @inline(__always)
    static func endpoint(from raw: UnsafeRawPointer, length: Int) -> Endpoint? {
        guard length >= MemoryLayout<sa_family_t>.size else { return nil }
        // Invariant: `raw` points at `length` initialized bytes, checked against each
        // family's size before the struct is loaded.
        switch Int32(raw.load(as: sa_family_t.self)) {
        case AF_INET:
            guard length >= MemoryLayout<sockaddr_in>.size else { return nil }
            let address = raw.loadUnaligned(as: sockaddr_in.self)
            return Endpoint(address: .v4(IPv4Address(UInt32(bigEndian: address.sin_addr.s_addr))),
                            port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            guard length >= MemoryLayout<sockaddr_in6>.size else { return nil }
            let address = raw.loadUnaligned(as: sockaddr_in6.self)
            let (high, low) = withUnsafeBytes(of: address.sin6_addr) { bytes in
                (UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                 UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            let port = UInt16(bigEndian: address.sin6_port)
            if high == 0 && low >> 32 == 0x0000_ffff {
                return Endpoint(address: .v4(IPv4Address(UInt32(truncatingIfNeeded: low))), port: port)
            }
            return Endpoint(address: .v6(IPv6Address(high: high, low: low)), port: port)
        default:
            return nil
        }
    }

    /// Writes `endpoint` into `raw` (at least `storageBytes` long) in the form a socket of
    /// `family` accepts: an IPv6 socket gets IPv4 peers as IPv4-mapped addresses. Returns
    /// the length to pass to the kernel, or nil when an IPv4-only socket is asked to reach
    /// an IPv6 peer.
    @inline(__always)
    static func write(_ endpoint: Endpoint, into raw: UnsafeMutableRawPointer, family: UDPSocket.Family) -> socklen_t? {
        switch (endpoint.address, family) {
        case (.v4(let address), .ipv4Only):
            var value = sockaddr_in()
            value.sin_family = sa_family_t(AF_INET)
            value.sin_port = endpoint.port.bigEndian
            value.sin_addr.s_addr = address.value.bigEndian
            raw.storeBytes(of: value, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case (.v6, .ipv4Only):
            return nil
        case (.v4(let address), .dualStack):
            return writeV6(high: 0, low: 0x0000_ffff_0000_0000 | UInt64(address.value), port: endpoint.port, into: raw)
        case (.v6(let address), .dualStack):
            return writeV6(high: address.high, low: address.low, port: endpoint.port, into: raw)
        }
    }

    @inline(__always)
    /// `endpoint` as a sockaddr of its own for a socket of `family`, with `scopeID` (an
    /// interface index) for an IPv6 address that needs one, and its length; nil as `write`.
    static func storage(_ endpoint: Endpoint, family: UDPSocket.Family, scopeID: UInt32 = 0) -> (sockaddr_storage, socklen_t)? {
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { raw -> socklen_t? in
            guard let length = write(endpoint, into: raw.baseAddress!, family: family) else { return nil }
            if scopeID != 0, length == socklen_t(MemoryLayout<sockaddr_in6>.size) {
                raw.storeBytes(of: scopeID, toByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_scope_id)!, as: UInt32.self)
            }
            return length
        }
        return length.map { (storage, $0) }
    }

    private static func writeV6(high: UInt64, low: UInt64, port: UInt16, into raw: UnsafeMutableRawPointer) -> socklen_t {
        var value = sockaddr_in6()
        value.sin6_family = sa_family_t(AF_INET6)
        value.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &value.sin6_addr) { bytes in
            bytes.storeBytes(of: high.bigEndian, as: UInt64.self)
            bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        raw.storeBytes(of: value, as: sockaddr_in6.self)
        return socklen_t(MemoryLayout<sockaddr_in6>.size)
    }
}
