import Glibc
import WarrenCrypto
import WarrenDHT
import WarrenDaemon
import WarrenLinux
import WarrenMemberSession
import WarrenPKI
import WarrenSession
import WarrenWire

/// The member's flood: DHT queries as fast as it is allowed to send them.
extension MemberSession {
    /// findNode and findValue in turn, for random keys, each in its own transport packet.
    /// The victim's answers are never read: a flooder does not care.
    func floodQueries(perSecond: Double, seconds: Int64) -> FloodReport {
        var random = SystemRandom()
        var report = FloodReport(mode: "dht")
        var pacer = Pacer(perSecond: perSecond, seconds: seconds)
        var actions: [SessionAction] = []
        repeat {
            actions.removeAll(keepingCapacity: true)
            for i in 0..<16 {
                var key = Key32()
                key.withUnsafeMutableBytes { random.fill($0) }
                let body: DHTMessage.Body = i % 2 == 0 ? .findNode(target: NodeID(raw: key)) : .findValue(key: NodeID(raw: key))
                manager.sendControl(DHTMessage(requestID: random.next(), body: body).encoded, to: victimKey, endpoint: victim,
                                    now: MemberSession.now(), into: &actions)
            }
            for case .send(let bytes, let to) in actions {
                let sent = bytes.withUnsafeBytes { (try? socket.send($0, to: to)) ?? false }
                if sent { report.sent += 1 } else { report.dropped += 1 }
            }
        } while pacer.paced(after: 16)
        report.elapsed = pacer.elapsed
        return report
    }
}
