import Glibc
public import WarrenCrypto
import WarrenDaemon
public import WarrenLinux
import WarrenPKI
public import WarrenSession
public import WarrenWire

/// A member with a real certificate (the one `config` names) and a real session with a
/// victim, over a socket of its own, for the tools that then send what no daemon would:
/// warren-forge's forged messages and warren-flood's DHT queries. The handshake is the
/// session manager's own, driven here as the daemon's control thread drives it.
public final class MemberSession {
    public let manager: SessionManager
    public let socket: UDPSocket
    public let victimKey: Key32
    public let victim: Endpoint
    private let batch = DatagramReceiveBatch(capacity: 8, datagramBytes: 2048)

    /// Handshakes with the victim; stops the tool if no session comes up within 15 s.
    public init(config path: String, victimKey text: String, victim: Endpoint) throws {
        let identity = try NodeIdentity(config: try Config.load(path: path), atUnixTime: WallClock.nowUnixSeconds())
        guard let victimKey = KeyText.parsePublicKey(text) else { fatalError("not a public key: \(text)") }
        self.victimKey = victimKey
        self.victim = victim
        manager = SessionManager(identity: SigningKey(seed: identity.signingKey.seed()), certificate: identity.certificate,
                                 authority: identity.authority, peers: [PeerConfig(publicKey: victimKey, endpoint: victim)],
                                 blocklist: [], random: SystemRandom())
        socket = try UDPSocket(port: 0)
        var actions: [SessionAction] = []
        manager.start(now: Self.now(), into: &actions)
        perform(actions)
        let deadline = MonotonicClock.now() + .seconds(15)
        while !manager.isConnected(victimKey, now: MonotonicClock.now()) {
            guard MonotonicClock.now() < deadline else { fatalError("no session with the victim within 15 s") }
            receive { _ in }
        }
    }

    public static func now() -> Moment {
        Moment(instant: MonotonicClock.now(), unixNanoseconds: WallClock.nowUnixNanoseconds())
    }

    public func perform(_ actions: [SessionAction]) {
        for case .send(let bytes, let to) in actions { _ = bytes.withUnsafeBytes { try? socket.send($0, to: to) } }
    }

    /// Handles what arrived (waiting 10 ms if nothing did): handshakes as a daemon would,
    /// control messages from the victim's session to `control`.
    public func receive(_ control: ([UInt8]) -> Void) {
        guard let n = try? socket.receive(into: batch), n > 0 else {
            usleep(10_000)
            return
        }
        for i in 0..<n {
            guard let source = batch.endpoint(i) else { continue }
            let datagram = Array(UnsafeRawBufferPointer(batch.bytes(i)))
            var bytes = datagram
            var notices = DataPath.Notices()
            let verdict = bytes.withUnsafeMutableBytes {
                DataPath.inbound($0, from: source, snapshot: manager.snapshot(now: MonotonicClock.now()), now: MonotonicClock.now(),
                                 notices: &notices)
            }
            var actions: [SessionAction] = []
            if let keypair = notices.confirmed { manager.confirmed(keypair, now: Self.now(), into: &actions) }
            switch verdict {
            case .handshake(let offset, let path):
                _ = manager.handleHandshake(Array(datagram[offset...]), from: path, now: Self.now(), into: &actions)
            case .control(let offset, let count, _, _, _):
                control(Array(bytes[offset..<offset + count]))
            default:
                break
            }
            perform(actions)
        }
    }

    public func send(control message: [UInt8]) {
        var actions: [SessionAction] = []
        manager.sendControl(message, to: victimKey, endpoint: victim, now: Self.now(), into: &actions)
        perform(actions)
    }
}
