import CAllocationCounter
import Testing
import WarrenLinux
import WarrenWire

/// The socket half of the packet path: queueing, sendmmsg, recvmmsg and reading sources
/// must not allocate once the batches exist.
@Suite("Allocation-free batched I/O")
struct LinuxAllocationTests {
    @Test("sending and receiving batches of datagrams on loopback allocates nothing")
    func batches() throws {
        let sender = try UDPSocket(port: 0)
        let receiver = try UDPSocket(port: 0)
        defer { sender.close(); receiver.close() }
        let slots = PacketSlots(count: 32, slotBytes: 1500)
        let batch = DatagramSendBatch(capacity: 32, for: sender)
        let incoming = DatagramReceiveBatch(capacity: 32, datagramBytes: 1500)
        let target = Endpoint(address: .v4(IPv4Address(127, 0, 0, 1)), port: receiver.localPort)
        for i in 0..<32 { slots.setLength(1200, at: i) }

        var received = 0
        var before: UInt64 = 0
        for round in 0..<21 {
            // Round 0 warms up lazily initialised runtime state.
            if round == 1 { before = allocation_counter_thread_count() }
            for i in 0..<32 { _ = batch.append(UnsafeRawBufferPointer(slots.packet(i)), to: target) }
            _ = sender.flush(batch)
            var got = 0
            while got < 32, let n = try? receiver.receive(into: incoming), n > 0 {
                for i in 0..<n where incoming.endpoint(i) != nil { got += 1 }
            }
            if round > 0 { received += got }
        }
        #expect(allocation_counter_thread_count() - before == 0)
        #expect(received > 0)
    }
}
