import Glibc
import Testing
@testable import WarrenLinux
import WarrenWire

@Suite("socket addresses")
struct SocketAddressTests {
    private func roundTrip(_ endpoint: Endpoint, family: UDPSocket.Family) -> (length: socklen_t?, back: Endpoint?) {
        var storage = sockaddr_storage()
        return withUnsafeMutableBytes(of: &storage) { raw in
            let length = SocketAddress.write(endpoint, into: raw.baseAddress!, family: family)
            return (length, length.flatMap { SocketAddress.endpoint(from: raw.baseAddress!, length: Int($0)) })
        }
    }

    @Test("an IPv4 peer written for a dual-stack socket is v4-mapped and reads back as IPv4")
    func mapped() {
        let endpoint = Endpoint("192.0.2.7:51820")!
        let (length, back) = roundTrip(endpoint, family: .dualStack)
        #expect(length == socklen_t(MemoryLayout<sockaddr_in6>.size))
        #expect(back == endpoint)
    }

    @Test("IPv6 and plain IPv4 endpoints survive the round trip")
    func plain() {
        let v6 = Endpoint("[2001:db8::1:2]:443")!
        #expect(roundTrip(v6, family: .dualStack).back == v6)
        let v4 = Endpoint("198.51.100.1:53")!
        #expect(roundTrip(v4, family: .ipv4Only).length == socklen_t(MemoryLayout<sockaddr_in>.size))
        #expect(roundTrip(v4, family: .ipv4Only).back == v4)
    }

    @Test("an IPv6 peer cannot be written for an IPv4-only socket")
    func v6OnV4Socket() {
        #expect(roundTrip(Endpoint("[2001:db8::1]:1")!, family: .ipv4Only).length == nil)
    }

    @Test("a send batch refuses entries beyond its capacity")
    func batchCapacity() {
        let batch = DatagramSendBatch(capacity: 2, family: .dualStack)
        let target = Endpoint("127.0.0.1:9")!
        let bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(batch.append(bytes, to: target))
        #expect(batch.append(bytes, to: target))
        #expect(!batch.append(bytes, to: target))
        batch.removeAll()
        #expect(batch.isEmpty)
    }
}
