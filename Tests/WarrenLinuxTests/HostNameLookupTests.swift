import Testing
import WarrenLinux
import WarrenWire

/// Only names the resolver answers without a network: /etc/hosts and address literals.
@Suite("Host name lookup")
struct HostNameLookupTests {
    @Test("localhost comes from /etc/hosts, with its IPv4 address first and the port given")
    func localhost() throws {
        let endpoints = try HostNameLookup.endpoints(of: "localhost", port: 3478).get()
        #expect(endpoints.first == Endpoint("127.0.0.1:3478"), "\(endpoints)")
        #expect(Set(endpoints).count == endpoints.count)
    }

    @Test("an address literal is its own answer")
    func literals() throws {
        #expect(try HostNameLookup.endpoints(of: "192.0.2.1", port: 1).get() == [Endpoint("192.0.2.1:1")!])
        #expect(try HostNameLookup.endpoints(of: "2001:db8::1", port: 2).get() == [Endpoint("[2001:db8::1]:2")!])
    }
}
