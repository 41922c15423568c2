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
    /// run the kernel refuses as such (EMSGSIZE: a segment longer than the path's MTU, which
    /// datagrams sent one by one would pass as IP fragments; EINVAL, EIO: no offload) goes
    /// again as datagrams of their own, in one more sendmmsg.
    @discardableResult
    public func flush(_ batch: DatagramSendBatch) -> DatagramSendBatch.FlushResult {
        precondition(batch.family == family, "send batch built for another socket family")
        var result = DatagramSendBatch.FlushResult(sent: 0, dropped: 0, firstError: nil)
        let total = batch.messageCount
        var next = 0
        while next < total {
            let start = next
            // Invariant: messages start..<total were filled by `append`, so each iovec points
            // at caller bytes still alive (the batch contract) and each name at a written address.
            let outcome = send(batch.messages + start, count: total - start)
            result.sent += batch.datagrams(inMessages: start..<start + outcome.sent)
            next += outcome.sent
            guard next < total else { break }
            guard let error = outcome.error else {
                // Some went and the next would block: try once more. None went: the socket
                // buffer is full, and the rest are dropped.
                if outcome.sent > 0 { continue }
                result.dropped += batch.datagrams(inMessages: next..<total)
                break
            }
            if result.firstError == nil { result.firstError = error }
            if Self.refusesJoining(error), batch.datagramsPerMessage[next] > 1 {
                let singles = batch.split(next)
                var done = 0
                while done < singles {
                    let retry = send(batch.singles + done, count: singles - done)
                    result.sent += retry.sent
                    done += retry.sent
                    guard done < singles, retry.error != nil || retry.sent == 0 else { continue }
                    // Refused alone too: that one is lost; no room: the rest are.
                    let lost = retry.error == nil ? singles - done : 1
                    result.dropped += lost
                    done += lost
                }
                next += 1
                continue
            }
            let skipsRest = error.errno == ENOBUFS || error.errno == ENOMEM
            let lost = skipsRest ? total - next : 1
            result.dropped += batch.datagrams(inMessages: next..<next + lost)
            next += lost
        }
        batch.removeAll()
        return result
    }

    /// Whether the kernel refused a joined run as such, where its datagrams one by one may go.
    private static func refusesJoining(_ error: SystemError) -> Bool {
        switch error.errno {
        case EMSGSIZE, EINVAL, EIO: true
        default: false
        }
    }

    /// One sendmmsg of `count` messages: how many went, and the error that stopped it, if
    /// one did (nil with fewer sent: the socket buffer is full).
    @inline(__always)
    private func send(_ messages: UnsafeMutablePointer<CLinux_mmsghdr>, count: Int) -> (sent: Int, error: SystemError?) {
        let fd = fileDescriptor
        do {
            let outcome = try Syscall.run("sendmmsg") { CLinux_sendmmsg(fd, messages, UInt32(count), 0) }
            if case .done(let sent) = outcome { return (Int(sent), nil) }
            return (0, nil)
        } catch {
            // sendmmsg reports an error only for the first message it tried.
            return (0, error)
        }
    }

    /// Lets the kernel join datagrams of one size from one source into one receive (UDP
    /// GRO); `DatagramReceiveBatch.segmentBytes` then tells where each one starts.
    public func enableReceiveOffload() throws(SystemError) {
        let fd = fileDescriptor
        _ = try Syscall.value("turning on UDP_GRO") { CLinux_set_udp_gro(fd, 1) }
    }
}
