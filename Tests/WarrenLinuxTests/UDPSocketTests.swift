import Glibc
import Testing
import WarrenLinux
import WarrenWire

@Suite("UDP sockets")
struct UDPSocketTests {
    /// Sends `count` numbered datagrams from one socket to another through a send batch and
    /// collects them through receive batches, returning payload index → source endpoint.
    private func exchange(to destination: IPAddress, count: Int) throws -> (sent: DatagramSendBatch.FlushResult,
                                                                             received: [Int: Endpoint],
                                                                             sender: UDPSocket) {
        let sender = try UDPSocket(port: 0)
        let receiver = try UDPSocket(port: 0)
        let poller = try Poller()
        try poller.add(receiver.fileDescriptor, token: 1)

        // The outgoing datagrams live in slots, as on the packet path: the batch points at
        // them, so they stay put until the flush returns.
        let outgoing = PacketSlots(count: count, slotBytes: 64)
        let batch = DatagramSendBatch(capacity: count, for: sender)
        let target = Endpoint(address: destination, port: receiver.localPort)
        for index in 0..<count {
            let text = Array("datagram \(index)".utf8)
            outgoing.slot(index).copyBytes(from: text)
            outgoing.setLength(text.count, at: index)
            #expect(batch.append(UnsafeRawBufferPointer(outgoing.packet(index)), to: target))
        }
        #expect(batch.isFull)
        let result = sender.flush(batch)
        #expect(batch.isEmpty)

        var received: [Int: Endpoint] = [:]
        let incoming = DatagramReceiveBatch(capacity: 8, datagramBytes: 1500)
        let deadline = MonotonicClock.now() + .seconds(5)
        while received.count < count && MonotonicClock.now() < deadline {
            _ = try poller.wait(timeoutMilliseconds: 500)
            let filled = try receiver.receive(into: incoming)
            for index in 0..<filled {
                let text = String(decoding: incoming.bytes(index), as: UTF8.self)
                #expect(!incoming.isTruncated(index))
                if let number = Int(text.dropFirst("datagram ".count)), let source = incoming.endpoint(index) {
                    received[number] = source
                }
            }
        }
        return (result, received, sender)
    }

    @Test("a batch of 32 datagrams crosses IPv4 loopback and each names its sender")
    func ipv4Batch() throws {
        let (result, received, sender) = try exchange(to: .v4(IPv4Address(127, 0, 0, 1)), count: 32)
        #expect(result.sent == 32 && result.dropped == 0 && result.firstError == nil)
        #expect(Set(received.keys) == Set(0..<32))
        let expected = Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: sender.localPort)
        #expect(received.values.allSatisfy { $0 == expected })
    }

    @Test("a batch of 32 datagrams crosses IPv6 loopback and each names its sender")
    func ipv6Batch() throws {
        let loopback = IPv6Address(high: 0, low: 1)
        let (result, received, sender) = try exchange(to: .v6(loopback), count: 32)
        #expect(result.sent == 32 && result.dropped == 0)
        #expect(Set(received.keys) == Set(0..<32))
        let expected = Endpoint(address: .v6(loopback), port: sender.localPort)
        #expect(received.values.allSatisfy { $0 == expected })
    }

    /// Every datagram that reaches `socket` within a second, as (entry bytes, segment size).
    private func drain(_ socket: UDPSocket, expecting total: Int) throws -> [(bytes: [UInt8], segment: Int)] {
        let poller = try Poller()
        try poller.add(socket.fileDescriptor, token: 1)
        let incoming = DatagramReceiveBatch(capacity: 8, datagramBytes: 65_536)
        var entries: [(bytes: [UInt8], segment: Int)] = []
        let deadline = MonotonicClock.now() + .seconds(2)
        while entries.reduce(0, { $0 + $1.bytes.count }) < total && MonotonicClock.now() < deadline {
            _ = try poller.wait(timeoutMilliseconds: 200)
            let filled = try socket.receive(into: incoming)
            for index in 0..<filled { entries.append((Array(incoming.bytes(index)), incoming.segmentBytes(index))) }
        }
        return entries
    }

    @Test("runs of one size to one destination go out joined (UDP GSO); a GRO socket gets each run whole, another apart")
    func segmentation() throws {
        let sender = try UDPSocket(port: 0)
        try #require(sender.supportsSegmentation, "kernel without UDP_SEGMENT")
        let joined = try UDPSocket(port: 0), apart = try UDPSocket(port: 0)
        try joined.enableReceiveOffload()
        let loopback = IPAddress.v4(IPv4Address(127, 0, 0, 1))
        let a = Endpoint(address: loopback, port: joined.localPort), b = Endpoint(address: loopback, port: apart.localPort)
        // 20 of 100 bytes to a, 5 to b, 10 more to a ended by a shorter one, then 3 to a:
        // four runs to a and b in all, each datagram numbered in its first byte.
        let plan: [(Endpoint, Int)] = Array(repeating: (a, 100), count: 20) + Array(repeating: (b, 100), count: 5)
            + Array(repeating: (a, 100), count: 10) + [(a, 60)] + Array(repeating: (a, 100), count: 3)
        let outgoing = PacketSlots(count: plan.count, slotBytes: 128)
        let batch = DatagramSendBatch(capacity: plan.count, for: sender)
        for (index, (endpoint, length)) in plan.enumerated() {
            outgoing.slot(index).initializeMemory(as: UInt8.self, repeating: UInt8(index))
            outgoing.setLength(length, at: index)
            #expect(batch.append(UnsafeRawBufferPointer(outgoing.packet(index)), to: endpoint))
        }
        let result = sender.flush(batch)
        #expect(result.sent == plan.count && result.dropped == 0, "\(result)")

        let atA = try drain(joined, expecting: 20 * 100 + 10 * 100 + 60 + 3 * 100)
        #expect(atA.map(\.bytes.count) == [2000, 1060, 300] && atA.allSatisfy { $0.segment == 100 }, "\(atA.map { ($0.bytes.count, $0.segment) })")
        let numbers = atA.flatMap { entry in stride(from: 0, to: entry.bytes.count, by: entry.segment).map { entry.bytes[$0] } }
        #expect(numbers == (Array(0..<20) + Array(25..<39)).map(UInt8.init), "datagrams in order")
        let atB = try drain(apart, expecting: 500)
        #expect(atB.map(\.bytes.count) == Array(repeating: 100, count: 5) && atB.map { $0.bytes[0] } == (20..<25).map(UInt8.init))
    }

    @Test("a single control datagram reaches its peer")
    func singleSend() throws {
        let sender = try UDPSocket(port: 0)
        let receiver = try UDPSocket(port: 0)
        let target = Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: receiver.localPort)
        let sent = try [UInt8]("hello".utf8).withUnsafeBytes { bytes throws(SystemError) in try sender.send(bytes, to: target) }
        #expect(sent)
        let poller = try Poller()
        try poller.add(receiver.fileDescriptor, token: 7)
        #expect(try poller.wait(timeoutMilliseconds: 2000) == 1)
        let batch = DatagramReceiveBatch(capacity: 4, datagramBytes: 64)
        #expect(try receiver.receive(into: batch) == 1)
        #expect(Array(batch.bytes(0)) == Array("hello".utf8))
        #expect(try receiver.receive(into: batch) == 0)
    }

    @Test("a datagram longer than its buffer is flagged as truncated")
    func truncation() throws {
        let sender = try UDPSocket(port: 0)
        let receiver = try UDPSocket(port: 0)
        let target = Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: receiver.localPort)
        _ = try [UInt8](repeating: 7, count: 100).withUnsafeBytes { bytes throws(SystemError) in try sender.send(bytes, to: target) }
        let poller = try Poller()
        try poller.add(receiver.fileDescriptor, token: 1)
        _ = try poller.wait(timeoutMilliseconds: 2000)
        let batch = DatagramReceiveBatch(capacity: 2, datagramBytes: 16)
        #expect(try receiver.receive(into: batch) == 1)
        #expect(batch.isTruncated(0))
        #expect(batch.bytes(0).count == 16)
    }

    @Test("socket buffers reach at least 4 MiB when running as root", .enabled(if: isRoot))
    func bufferSizes() throws {
        let socket = try UDPSocket(port: 0)
        let sizes = try socket.effectiveBufferBytes()
        #expect(sizes.receive >= 4 << 20)
        #expect(sizes.send >= 4 << 20)
    }

    @Test("binding a port in use names the port and the reason")
    func bindConflict() throws {
        let first = try UDPSocket(port: 0)
        let error = #expect(throws: SystemError.self) { try UDPSocket(port: first.localPort) }
        #expect(error?.errno == EADDRINUSE)
        #expect(error?.description.hasPrefix("binding UDP port \(first.localPort): Address already in use") == true)
    }
}
