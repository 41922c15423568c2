import WarrenCrypto
import WarrenPKI
import WarrenSession
import WarrenWire

/// Two session managers of one network, alice → bob, connected in memory: a Noise IK
/// handshake is run to completion by passing each `.send` action to the other side through
/// `DataPath.inbound`, as the receive thread and the control thread would. Afterwards the
/// routing snapshots hold confirmed keypairs, so `DataPath.outbound` on alice seals and
/// `DataPath.inbound` on bob opens. Time is fixed: nothing here reads a clock.
struct Pair {
    let alice: SessionManager
    let bob: SessionManager
    let aliceEndpoint = Endpoint("192.0.2.1:51820")!
    let bobEndpoint = Endpoint("192.0.2.2:51820")!
    let aliceAddress: [UInt8] = [10, 8, 0, 1]
    let bobAddress: [UInt8] = [10, 8, 0, 2]
    let now = Moment(instant: Instant(nanoseconds: 1_000_000_000), unixNanoseconds: 2_000 * 1_000_000_000)

    init() {
        var random = SeededRandom(seed: 1)
        let ca = try! CertificateAuthority.create(name: "bench", key: SigningKey(random: &random),
                                                  ipv4Network: IPPrefix("10.8.0.0/16")!, notBefore: 0, notAfter: 100_000)
        let bobKey = SigningKey(random: &random)
        let aliceKey = SigningKey(random: &random)
        let bobCertificate = try! ca.sign(name: "bob", publicKey: bobKey.publicKey, ipv4: IPPrefix("10.8.0.2/16")!,
                                          roles: [], subnets: [], notBefore: 0, notAfter: 100_000)
        let aliceCertificate = try! ca.sign(name: "alice", publicKey: aliceKey.publicKey, ipv4: IPPrefix("10.8.0.1/16")!,
                                            roles: [], subnets: [], notBefore: 0, notAfter: 100_000)
        bob = SessionManager(identity: bobKey, certificate: bobCertificate, authority: ca.certificate, peers: [],
                             blocklist: [], random: SeededRandom(seed: 2))
        alice = SessionManager(identity: aliceKey, certificate: aliceCertificate, authority: ca.certificate,
                               peers: [PeerConfig(publicKey: bobCertificate.publicKey, endpoint: bobEndpoint)],
                               blocklist: [], random: SeededRandom(seed: 3))
        var actions: [SessionAction] = []
        alice.start(now: now, into: &actions)
        deliver(actions, from: alice)
        precondition(aliceSnapshot.route(to: .v4(IPv4Address(10, 8, 0, 2)))?.keypair != nil,
                     "the in-memory handshake did not complete")
    }

    var aliceSnapshot: RoutingSnapshot { alice.snapshot(now: now.instant) }
    var bobSnapshot: RoutingSnapshot { bob.snapshot(now: now.instant) }

    /// Passes handshake messages back and forth until neither side has anything to send.
    private func deliver(_ first: [SessionAction], from firstSender: SessionManager) {
        var queue = first.map { (firstSender, $0) }
        while !queue.isEmpty {
            let (sender, action) = queue.removeFirst()
            guard case .send(let bytes, _) = action else { continue }
            let (receiver, source) = sender === alice ? (bob, aliceEndpoint) : (alice, bobEndpoint)
            var datagram = bytes
            var notices = DataPath.Notices()
            let snapshot = receiver.snapshot(now: now.instant)
            let verdict = datagram.withUnsafeMutableBytes {
                DataPath.inbound($0, from: source, snapshot: snapshot, now: now.instant, notices: &notices)
            }
            if let keypair = notices.confirmed { receiver.confirmed(keypair) }
            guard case .handshake = verdict else { continue }
            var more: [SessionAction] = []
            if let reason = receiver.handleHandshake(bytes, from: .direct(source), now: now, into: &more) {
                fatalError("handshake refused: \(reason)")
            }
            queue += more.map { (receiver, $0) }
        }
    }
}
