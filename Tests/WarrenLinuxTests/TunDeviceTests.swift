import Glibc
import Testing
import WarrenLinux
import WarrenWire

/// These tests create TUN interfaces named `wlxtun<random>` in the test process's own
/// network namespace. The interfaces are not persistent, so they vanish when the device is
/// closed or the process dies, even if a test fails midway. Packets only go into the test's
/// own TUN (the sender is bound to the device) or are written by the test and delivered
/// locally; nothing leaves the machine.
@Suite("TUN devices and netlink", .enabled(if: isRoot))
struct TunDeviceTests {
    /// A TUN interface brought up with MTU 1420, 10.250.N.1/24 and fd00:250:N::1/64.
    struct Configured {
        let tun: TunDevice
        let netlink: Netlink
        let index: UInt32
        let subnet: UInt8
        let v4: IPPrefix
        let v6: IPPrefix

        init() throws {
            tun = try TunDevice(name: "wlxtun\(uniqueSuffix())")
            netlink = try Netlink()
            index = try netlink.interfaceIndex(name: tun.name)
            subnet = UInt8.random(in: 1...254)
            v4 = IPPrefix("10.250.\(subnet).1/24")!
            v6 = IPPrefix("fd00:250:\(String(subnet, radix: 16))::1/64")!
            try netlink.setLinkUp(index: index, mtu: 1420)
            try netlink.addAddress(v4, index: index)
            try netlink.addAddress(v6, index: index)
        }
    }

    @Test("a TUN device comes up with MTU 1420 and both addresses, and vanishes on close")
    func lifecycle() throws {
        let device = try Configured()
        let name = device.tun.name
        #expect(name.hasPrefix("wlxtun"))
        do {
            defer { device.tun.close() }
            let link = try ip("link", "show", name)
            #expect(link.contains("mtu 1420"))
            #expect(link.contains(",UP"))
            let addresses = try ip("-o", "addr", "show", "dev", name)
            #expect(addresses.contains("inet \(device.v4)"))
            #expect(addresses.contains("inet6 \(device.v6)"))
            // IFA_F_NODAD: usable at once, never "tentative". (The kernel's own link-local
            // address may still be, for the second its duplicate detection takes.)
            let ours = addresses.split(separator: "\n").filter { $0.contains("inet6 \(device.v6)") }
            #expect(ours.count == 1 && !ours[0].contains("tentative"), "\(addresses)")
        }
        #expect(try ip("link", "show", name).isEmpty)
        #expect(throws: SystemError.self) { try Netlink().interfaceIndex(name: name) }
    }

    @Test("adding the same address twice names the address, the interface and the reason")
    func duplicateAddress() throws {
        let device = try Configured()
        defer { device.tun.close() }
        let error = #expect(throws: SystemError.self) { try device.netlink.addAddress(device.v4, index: device.index) }
        #expect(error?.errno == EEXIST)
        #expect(error?.description.hasPrefix("adding address \(device.v4) to \(device.tun.name): File exists") == true)
    }

    @Test("routes added through netlink appear in the table and go away when deleted")
    func routes() throws {
        let device = try Configured()
        defer { device.tun.close() }
        let v4 = IPPrefix("10.251.\(device.subnet).7/24")!  // Host bits are ignored.
        let v6 = IPPrefix("fd00:251:\(String(device.subnet, radix: 16))::/64")!
        try device.netlink.addRoute(v4, index: device.index)
        try device.netlink.addRoute(v6, index: device.index, metric: 50)
        #expect(try ip("-4", "route", "show", "dev", device.tun.name).contains("10.251.\(device.subnet).0/24"))
        #expect(try ip("-6", "route", "show", "dev", device.tun.name).contains("\(v6) metric 50"))
        let duplicate = #expect(throws: SystemError.self) { try device.netlink.addRoute(v4, index: device.index) }
        #expect(duplicate?.description.hasPrefix("adding route 10.251.\(device.subnet).0/24 via \(device.tun.name): File exists") == true)
        try device.netlink.deleteRoute(v4, index: device.index)
        try device.netlink.deleteRoute(v6, index: device.index)
        #expect(!(try ip("-4", "route", "show", "dev", device.tun.name).contains("10.251.")))
        #expect(!(try ip("-6", "route", "show", "dev", device.tun.name).contains("fd00:251:")))
    }

    @Test("deleting a link by name removes the interface")
    func deleteLink() throws {
        let tun = try TunDevice(name: "wlxtun\(uniqueSuffix())")
        defer { tun.close() }
        try Netlink().deleteLink(name: tun.name)
        #expect(try ip("link", "show", tun.name).isEmpty)
        let error = #expect(throws: SystemError.self) { try Netlink().deleteLink(name: tun.name) }
        #expect(error?.errno == ENODEV)
    }

    @Test("an interface name that cannot exist is refused before the kernel sees it")
    func invalidName() {
        let error = #expect(throws: SystemError.self) { try TunDevice(name: "wlx-name-far-too-long") }
        #expect(error?.errno == EINVAL)
        #expect(error?.description.hasPrefix("creating TUN device wlx-name-far-too-long") == true)
    }

    @Test("packets routed to the device are read in one batch after one wake-up")
    func readBatch() throws {
        let device = try Configured()
        defer { device.tun.close() }
        let sender = try UDPSocket(port: 0)
        // Bound to the TUN device, the datagrams can leave through it and nowhere else.
        var name = Array(device.tun.name.utf8CString)
        #expect(setsockopt(sender.fileDescriptor, SOL_SOCKET, SO_BINDTODEVICE, &name, socklen_t(name.count)) == 0)
        let peer = Endpoint(address: .v4(IPv4Address(10, 250, device.subnet, 2)), port: 9)
        for _ in 0..<5 {
            _ = try [UInt8](repeating: 0xab, count: 20).withUnsafeBytes { bytes throws(SystemError) in try sender.send(bytes, to: peer) }
        }
        let poller = try Poller()
        try poller.add(device.tun.fileDescriptor, token: 3)
        let slots = PacketSlots(count: 16, slotBytes: 1500)
        var udpToPeer = 0
        let deadline = MonotonicClock.now() + .seconds(5)
        while udpToPeer < 5 && MonotonicClock.now() < deadline {
            guard try poller.wait(timeoutMilliseconds: 500) > 0 else { continue }
            #expect(poller.token(at: 0) == 3)
            let filled = try device.tun.readBatch(into: slots, headroomBytes: 16)
            for index in 0..<filled {
                let packet = slots.packet(index)[16...]
                // The kernel also sends IPv6 router and multicast chatter; count our datagrams.
                let start = packet.startIndex
                if packet[start] >> 4 == 4, packet[start + 9] == 17,
                   Array(packet[(start + 16)..<(start + 20)]) == [10, 250, device.subnet, 2] {
                    udpToPeer += 1
                    #expect(packet.count == 20 + 8 + 20)
                }
            }
        }
        #expect(udpToPeer == 5)
    }

    @Test("a packet written to the device is delivered to a local socket")
    func write() throws {
        let device = try Configured()
        defer { device.tun.close() }
        let receiver = try UDPSocket(port: 0)
        let payload = Array("through the tunnel".utf8)
        let packet = ipv4UDPPacket(from: [10, 250, device.subnet, 2], port: 4444,
                                   to: [10, 250, device.subnet, 1], port: receiver.localPort, payload: payload)
        let written = try packet.withUnsafeBytes { bytes throws(SystemError) in try device.tun.write(bytes) }
        #expect(written)
        let poller = try Poller()
        try poller.add(receiver.fileDescriptor, token: 1)
        #expect(try poller.wait(timeoutMilliseconds: 2000) == 1)
        let batch = DatagramReceiveBatch(capacity: 4, datagramBytes: 1500)
        #expect(try receiver.receive(into: batch) == 1)
        #expect(Array(batch.bytes(0)) == payload)
        #expect(batch.endpoint(0) == Endpoint(address: .v4(IPv4Address(10, 250, device.subnet, 2)), port: 4444))
    }
}

/// An IPv4 header (RFC 791, with its checksum) and a UDP header without a checksum (zero is
/// allowed over IPv4, RFC 768) around `payload`.
func ipv4UDPPacket(from source: [UInt8], port sourcePort: UInt16, to destination: [UInt8], port destinationPort: UInt16,
                   payload: [UInt8]) -> [UInt8] {
    let total = 20 + 8 + payload.count
    var header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0x40, 0, 64, 17, 0, 0]
    header += source + destination
    var sum: UInt32 = 0
    for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(header[index]) << 8 | UInt32(header[index + 1]) }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    let checksum = ~UInt16(sum)
    header[10] = UInt8(checksum >> 8)
    header[11] = UInt8(checksum & 0xff)
    let udpLength = 8 + payload.count
    let udp: [UInt8] = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8),
                        UInt8(destinationPort & 0xff), UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
    return header + udp + payload
}
