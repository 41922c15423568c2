import Glibc
import WarrenCrypto
import WarrenDHT
import WarrenDaemon
import WarrenLinux
import WarrenPKI
import WarrenSession
import WarrenWire

/// A member with a real certificate and a real session with the victim, which then sends
/// what no daemon would: DHT queries as fast as it is allowed to. The handshake is the
/// session manager's own, driven here as the daemon's control thread drives it.
final class MemberSession {
    let manager: SessionManager
    let socket: UDPSocket
    let victimKey: Key32
    let victim: Endpoint

    init(config path: String, victimKey text: String, victim: Endpoint) throws {
        let identity = try NodeIdentity(config: try Config.load(path: path), atUnixTime: WallClock.nowUnixSeconds())
        guard let victimKey = KeyText.parsePublicKey(text) else { fatalError("not a public key: \(text)") }
        self.victimKey = victimKey
        self.victim = victim
        manager = SessionManager(identity: SigningKey(seed: identity.signingKey.seed()), certificate: identity.certificate,
                                 authority: identity.authority, peers: [PeerConfig(publicKey: victimKey, endpoint: victim)],
                                 blocklist: [], random: SystemRandom())
        socket = try UDPSocket(port: 0)
        try handshake()
    }

    static func now() -> Moment {
        Moment(instant: MonotonicClock.now(), unixNanoseconds: WallClock.nowUnixNanoseconds())
    }

    private func perform(_ actions: [SessionAction]) {
        for case .send(let bytes, let to) in actions { _ = bytes.withUnsafeBytes { try? socket.send($0, to: to) } }
    }

    private func handshake() throws {
        var actions: [SessionAction] = []
        manager.start(now: Self.now(), into: &actions)
        perform(actions)
        let batch = DatagramReceiveBatch(capacity: 8, datagramBytes: 2048)
        let deadline = MonotonicClock.now() + .seconds(15)
        while !manager.isConnected(victimKey, now: MonotonicClock.now()) {
            guard MonotonicClock.now() < deadline else { fatalError("no session with the victim within 15 s") }
            let count = try socket.receive(into: batch)
            if count == 0 { usleep(1000) }
            for i in 0..<count {
                guard let source = batch.endpoint(i) else { continue }
                var datagram = Array(UnsafeRawBufferPointer(batch.bytes(i)))
                var notices = DataPath.Notices()
                let verdict = datagram.withUnsafeMutableBytes {
                    DataPath.inbound($0, from: source, snapshot: manager.snapshot(now: MonotonicClock.now()), now: MonotonicClock.now(),
                                     notices: &notices)
                }
                actions = []
                if case .handshake(let offset, let path) = verdict {
                    _ = manager.handleHandshake(Array(datagram[offset...]), from: path, now: Self.now(), into: &actions)
                }
                perform(actions)
            }
        }
    }

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
                                    now: Self.now(), into: &actions)
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
