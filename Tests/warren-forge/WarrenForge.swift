import Glibc
import WarrenCrypto
import WarrenDaemon
import WarrenDHT
import WarrenLinux
import WarrenMemberSession
import WarrenNAT
import WarrenPKI
import WarrenSession
import WarrenWire

/// A misbehaving member for the integration tests (security issue #11): it holds a real
/// member's key and certificate and sends what a real daemon never would.
///
///   warren-forge notices CONFIG VICTIM_KEY VICTIM_ENDPOINT COUNT (PEER_KEY SEEN)...
///       handshakes with the victim as the member CONFIG names, then sends COUNT punch
///       notices for each pair, naming PEER_KEY seen at SEEN, with no record (the notice
///       alone would have to be believed)
///   warren-forge contacts CONFIG VICTIM_KEY VICTIM_ENDPOINT TARGET_ENDPOINT SECONDS
///       handshakes with the victim as the member CONFIG names, pings it so that it becomes
///       one of the victim's DHT contacts, then for SECONDS answers every FIND_NODE and
///       FIND_VALUE the victim sends with 20 contacts of invented keys, all at TARGET
///   warren-forge packets CONFIG VICTIM_KEY VICTIM_ENDPOINT VICTIM_ADDRESS COUNT DESTINATION...
///       handshakes with the victim (overlay address VICTIM_ADDRESS) as the member CONFIG
///       names, then sends COUNT ICMP echo requests to each DESTINATION through the session
///   warren-forge beacon CONFIG CERTIFICATE_FILE PORT TARGET_ENDPOINT...
///       sends each target, unicast, two LAN beacons naming PORT and carrying
///       CERTIFICATE_FILE's certificate: one in the unsigned layout beacons had before they
///       were signed, and one signed now with CONFIG's key (a valid signature when
///       CERTIFICATE_FILE is CONFIG's own certificate; a copy of someone else's is not)
///
/// Built with the tests only; the daemon has no such mode.
@main
enum WarrenForge {
    static func main() throws {
        let arguments = CommandLine.arguments
        switch arguments.dropFirst().first {
        case "notices" where arguments.count >= 8 && arguments.count % 2 == 0:
            let pairs = stride(from: 6, to: arguments.count, by: 2).map { (arguments[$0], arguments[$0 + 1]) }
            try notices(config: arguments[2], victimKey: arguments[3], victim: arguments[4], count: Int(arguments[5])!, pairs: pairs)
        case "contacts" where arguments.count == 7:
            try contacts(config: arguments[2], victimKey: arguments[3], victim: arguments[4], target: Endpoint(arguments[5])!,
                         seconds: Int(arguments[6])!)
        case "packets" where arguments.count >= 8:
            try packets(config: arguments[2], victimKey: arguments[3], victim: arguments[4], victimAddress: IPv4Address(arguments[5])!,
                        count: Int(arguments[6])!, destinations: arguments[7...].map { IPv4Address($0)! })
        case "beacon" where arguments.count >= 6:
            try beacon(config: arguments[2], certificateFile: arguments[3], port: UInt16(arguments[4])!,
                       targets: arguments[5...].map { Endpoint($0)! })
        default:
            fatalError("usage: see WarrenForge.swift")
        }
    }

    static func notices(config path: String, victimKey: String, victim: String, count: Int, pairs: [(String, String)]) throws {
        let session = try MemberSession(config: path, victimKey: victimKey, victim: Endpoint(victim)!)
        for (peer, seen) in pairs {
            let notice = PunchMessage(kind: .notice, peer: KeyText.parsePublicKey(peer)!, seen: Endpoint(seen)!).encoded
            for _ in 0..<count { session.send(control: notice) }
            print("sent \(count) notices naming \(seen)")
        }
    }

    static func contacts(config path: String, victimKey: String, victim: String, target: Endpoint, seconds: Int) throws {
        let session = try MemberSession(config: path, victimKey: victimKey, victim: Endpoint(victim)!)
        // Any request makes the sender one of the victim's contacts, asked in its lookups.
        session.send(control: DHTMessage(requestID: 1, body: .ping).encoded)
        var random = SystemRandom()
        var answered = 0
        let deadline = MonotonicClock.now() + .seconds(Int64(seconds))
        var nextTick = MonotonicClock.now()
        while MonotonicClock.now() < deadline {
            session.receive { bytes in
                guard let message = try? DHTMessage(parsing: bytes) else { return }
                let reply: DHTMessage.Body
                switch message.body {
                case .findNode, .findValue:
                    let invented = (0..<DHTMessage.maxContacts).map { _ in
                        Contact(publicKey: SigningKey(random: &random).publicKey, endpoint: target)
                    }
                    reply = .nodes(invented)
                    answered += 1
                case .ping:
                    reply = .pong
                default:
                    return
                }
                session.send(control: DHTMessage(requestID: message.requestID, body: reply).encoded)
            }
            // Keepalives and rekeys, so the session outlives the attack.
            if MonotonicClock.now() >= nextTick {
                var actions: [SessionAction] = []
                session.manager.handleTimers(now: MemberSession.now(), into: &actions)
                session.perform(actions)
                nextTick = MonotonicClock.now() + SessionManager.tick
            }
        }
        print("answered \(answered) DHT queries with \(answered * DHTMessage.maxContacts) invented contacts at \(target)")
    }

    static func beacon(config path: String, certificateFile: String, port: UInt16, targets: [Endpoint]) throws {
        let identity = try NodeIdentity(config: try Config.load(path: path), atUnixTime: WallClock.nowUnixSeconds())
        let certificate = PEM.decode(String(decoding: try FileAccess.readAll(path: certificateFile), as: UTF8.self))!
        // type 6 ‖ 0 0 0 ‖ port ‖ certificate length ‖ certificate: no time, no signature.
        var unsigned = WireWriter()
        unsigned.write(bytes: [MessageType.lanBeacon.rawValue, 0, 0, 0])
        unsigned.write(port)
        unsigned.writeLongBytes(certificate)
        let signed = LANBeacon(port: port, unixMilliseconds: WallClock.nowUnixNanoseconds() / 1_000_000, certificate: certificate,
                               signedBy: identity.signingKey).encoded
        let socket = try UDPSocket(port: 0)
        for target in targets {
            for bytes in [unsigned.bytes, signed] { _ = try bytes.withUnsafeBytes { try socket.send($0, to: target) } }
            print("sent an unsigned and a signed unicast beacon to \(target)")
        }
    }
}
