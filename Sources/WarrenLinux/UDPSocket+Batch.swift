import CLinux
import Glibc

/// Batched datagram I/O: one recvmmsg or sendmmsg moves a whole batch, so a burst costs a
/// few system calls instead of one per datagram. Neither call ever waits.
extension UDPSocket {
    /// Fills `batch` with the datagrams waiting on the socket, up to its capacity. Returns
    /// how many arrived; 0 means none were waiting.
    @inline(__always)
    public func receive(into batch: DatagramReceiveBatch) throws(SystemError) -> Int {
        batch.prepareForReceive()
        let fd = fileDescriptor
        // Invariant: the batch's vectors hold `capacity` entries whose iovecs and names point
        // into its own buffers, sized as each entry says (see DatagramReceiveBatch.init).
        let result = try Syscall.run("recvmmsg") {
            CLinux_recvmmsg(fd, batch.messages, UInt32(batch.capacity), 0, nil)
        }
        guard case .done(let received) = result else { return 0 }
        batch.didReceive(Int(received))
        return Int(received)
    }

    /// Sends every datagram in `batch`, then empties it. When the socket buffer fills, the
    /// rest are dropped and counted rather than waited for. A destination the kernel refuses
    /// (unreachable network, a firewall, an oversized datagram) costs only its own message;
    /// a shortage of kernel memory (ENOBUFS, ENOMEM) drops the rest of the batch. A joined
    /// run the kernel refuses as such (EINVAL, EIO: a segment too large for the path's MTU, a
    /// device without the offload) is sent again one datagram at a time.
    @discardableResult
    public func flush(_ batch: DatagramSendBatch) -> DatagramSendBatch.FlushResult {
        precondition(batch.family == family, "send batch built for another socket family")
        var result = DatagramSendBatch.FlushResult(sent: 0, dropped: 0, firstError: nil)
        let fd = fileDescriptor
        let total = batch.messageCount
        var next = 0
        while next < total {
            let start = next
            // Invariant: messages start..<total were filled by `append`, so each iovec points
            // at caller bytes still alive (the batch contract) and each name at a written address.
            do {
                let outcome = try Syscall.run("sendmmsg") {
                    CLinux_sendmmsg(fd, batch.messages + start, UInt32(total - start), 0)
                }
                switch outcome {
                case .done(let sent) where sent > 0:
                    result.sent += batch.datagrams(inMessages: start..<start + Int(sent))
                    next += Int(sent)
                case .done, .wouldBlock:
                    result.dropped += batch.datagrams(inMessages: start..<total)
                    next = total
                }
            } catch {
                // sendmmsg reports an error only for the first message it tried.
                if result.firstError == nil { result.firstError = error }
                if (error.errno == EINVAL || error.errno == EIO) && batch.datagramsPerMessage[start] > 1 {
                    let split = batch.splitMessage(start) { message in
                        (try? Syscall.run("sendmmsg") { CLinux_sendmmsg(fd, message, 1, 0) }).map { if case .done(1) = $0 { true } else { false } } ?? false
                    }
                    result.sent += split.sent
                    result.dropped += split.dropped
                    next += 1
                    continue
                }
                let skipsRest = error.errno == ENOBUFS || error.errno == ENOMEM
                let lost = skipsRest ? total - start : 1
                result.dropped += batch.datagrams(inMessages: start..<start + lost)
                next += lost
            }
        }
        batch.removeAll()
        return result
    }

    /// Lets the kernel join datagrams of one size from one source into one receive (UDP
    /// GRO); `DatagramReceiveBatch.segmentBytes` then tells where each one starts.
    public func enableReceiveOffload() throws(SystemError) {
        let fd = fileDescriptor
        _ = try Syscall.value("turning on UDP_GRO") { CLinux_set_udp_gro(fd, 1) }
    }
}
