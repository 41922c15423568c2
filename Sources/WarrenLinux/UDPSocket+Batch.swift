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
    /// (unreachable network, a firewall, an oversized datagram) costs only its own datagram;
    /// a shortage of kernel memory (ENOBUFS, ENOMEM) drops the rest of the batch.
    @discardableResult
    public func flush(_ batch: DatagramSendBatch) -> DatagramSendBatch.FlushResult {
        precondition(batch.family == family, "send batch built for another socket family")
        var result = DatagramSendBatch.FlushResult(sent: 0, dropped: 0, firstError: nil)
        let fd = fileDescriptor
        var next = 0
        while next < batch.count {
            let start = next
            // Invariant: entries start..<count were filled by `append`, so each iovec points at
            // caller bytes still alive (the batch contract) and each name at a written address.
            do {
                let outcome = try Syscall.run("sendmmsg") {
                    CLinux_sendmmsg(fd, batch.messages + start, UInt32(batch.count - start), 0)
                }
                switch outcome {
                case .done(let sent) where sent > 0:
                    result.sent += Int(sent)
                    next += Int(sent)
                case .done, .wouldBlock:
                    result.dropped += batch.count - start
                    next = batch.count
                }
            } catch {
                // sendmmsg reports an error only for the first datagram it tried.
                if result.firstError == nil { result.firstError = error }
                let skipsRest = error.errno == ENOBUFS || error.errno == ENOMEM
                let lost = skipsRest ? batch.count - start : 1
                result.dropped += lost
                next += lost
            }
        }
        batch.removeAll()
        return result
    }
}
