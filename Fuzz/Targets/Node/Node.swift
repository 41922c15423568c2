// Node.handle / handleTimeout: a whole node (alice, a relay that relays circuits, accepts
// anonymous traffic and routes 10.8.3.0/24 through circuits, with a live session to bob)
// fed any sequence of what reaches it: control messages from bob (directly or as if
// relayed), handshakes, STUN and beacons from addresses of every class, packets to unknown
// overlay addresses or for circuits, answers to circuit flows, control requests, time
// passing, and changes of the host's and the STUN servers' addresses. Each operation is an op byte whose low three bits pick the kind and
// whose high bits pick among fixed choices, then a length (2 bytes) and that many bytes.
//
// Invariants (besides never trapping):
// - No datagram goes to an endpoint the node's policy refuses (loopback, multicast, the
//   overlay, …) unless it answers a datagram that came from there, or the operator's
//   configuration named it (a STUN server's name resolved there).
// - Every peer with a live session is one the fixture's CA certified: no session for a key
//   nobody proved.
// - State stays bounded: at most the manager's `peerLimit` proven peers and `maxProspects`
//   prospects, and the DHT table's capacity; every reply answers a request that was asked,
//   once.
// - What the node writes into the TUN device is an IPv4 packet addressed to this host.
import FuzzFixtures
import FuzzSupport
import WarrenCircuit
import WarrenCrypto
import WarrenDHT
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

let net = FuzzNetwork.shared
let policy = EndpointPolicy(overlay: [IPPrefix("10.8.0.0/16")!, net.alice.body.ipv6.network])
/// Where datagrams and beacons come from: ordinary, then every refused class.
let sources = [
    net.bobEndpoint, Endpoint("198.51.100.9:3478")!, Endpoint("[2001:db8::9]:51820")!, Endpoint("127.0.0.1:22")!,
    Endpoint("224.0.0.251:5353")!, Endpoint("10.8.0.3:51820")!, Endpoint("0.0.0.0:1")!, Endpoint("169.254.1.1:51820")!,
]
let issuedKeys = Set([net.alice.publicKey, net.bob.publicKey, net.carol.publicKey, net.carolRekeyed.publicKey])

struct Operations {
    var bytes: ArraySlice<UInt8>

    mutating func byte() -> UInt8? { bytes.popFirst() }

    mutating func chunk() -> [UInt8] {
        let count = Int(byte() ?? 0) << 8 | Int(byte() ?? 0)
        defer { bytes = bytes.dropFirst(min(count, bytes.count)) }
        return Array(bytes.prefix(count))
    }
}

/// A program of operations: op byte, then a length-prefixed chunk.
func encode(_ ops: [(UInt8, [UInt8])]) -> [UInt8] {
    ops.flatMap { [$0.0, UInt8($0.1.count >> 8), UInt8($0.1.count & 0xff)] + $0.1 }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    let stun = STUNMessage(class: .request, transactionID: TransactionID(Array(repeating: 3, count: 12)), attributes: [])
    let beacon = LANBeacon(port: 51820, unixMilliseconds: net.now.unixNanoseconds / 1_000_000, certificate: net.carol.encoded,
                           signedBy: net.carolKey()).encoded
    Fuzz.writeSeedsIfRequested([
        ("status-ping-time", encode([(5, []), (5 | 2 << 3, []), (6, [50]), (6, [50]), (6, [250])])),
        ("relay-request-for-carol", encode([(0, RelayMessage(kind: .request, peer: net.carol.publicKey).encoded), (6, [10])])),
        ("punch-request", encode([(0, PunchMessage(kind: .request, peer: net.carol.publicKey, record: [1]).encoded)])),
        ("punch-notice", encode([(0, PunchMessage(kind: .notice, peer: net.carol.publicKey, seen: Endpoint("127.0.0.1:22")!).encoded)])),
        ("dht-ping", encode([(0, DHTMessage(requestID: 7, body: .ping).encoded)])),
        ("stun-from-loopback", encode([(2 | 3 << 3, stun.encoded(fingerprint: true))])),
        ("beacon-from-carol", encode([(3 | 1 << 3, beacon), (5, [])])),
        ("unroutable-then-time", encode([(4, [9]), (6, [255]), (6, [255])])),
        ("netcheck-with-addresses", encode([(7, []), (7 | 1 << 3, []), (5 | 3 << 3, []), (6, [200])])),
        ("circuit-create", encode([(0, CircuitMessage(kind: .create, circuitID: 9, body: Array(repeating: 4, count: 48)).encoded)])),
        ("directory-request", encode([(0, DirectoryMessage.request.encoded), (6, [100])])),
        ("directory-shards", encode([(0, DirectoryMessage.shardRequest(shards: 0xFF).encoded), (6, [100])])),
        ("reach-check", encode([(0, DirectoryMessage.reachCheck([Endpoint("127.0.0.1:22")!, Endpoint("198.51.100.9:3478")!]).encoded),
                                (6, [200]), (6, [200])])),
        ("reached", encode([(0, DirectoryMessage.reached([Endpoint("198.51.100.9:3478")!]).encoded)])),
        ("anonymous-delivery", encode([(0, AnonymousDelivery.encode(ipv4Packet(from: [10, 8, 0, 2], to: [10, 8, 0, 1], payload: [0, 53, 0, 53, 0, 8, 0, 0])))])),
        ("via-circuit-then-time", encode([(4 | 4 << 3, [3, 0, 53, 0, 53, 0, 8, 0, 0]), (6, [255]), (6, [255])])),
        ("circuit-answer", encode([(4 | 8 << 3, [1, 0, 53, 0xee, 0x48, 0, 8, 0, 0])])),
    ])
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var ops = Operations(bytes: ArraySlice(Fuzz.bytes(data, size)))
    let (alice, bob) = net.establishedPair()
    let bobLink = link(from: bob, at: alice)
    let circuits = CircuitSettings(relay: true, routes: [IPPrefix("10.8.3.0/24")!], acceptAnonymous: true)
    let node = Node(settings: NodeSettings(interfaceName: "warren0", listenPort: 51820,
                                           stunServers: [HostPort("stun.example.net:3478")!], lanBeacons: true, circuits: circuits),
                    manager: alice, recordSigner: net.aliceKey(), authority: net.authority, drops: DropCounters(),
                    random: SeededRandom(seed: 5), now: net.now.instant)
    var now = net.now
    var actions: [NodeAction] = []
    node.start(savedContacts: [], now: now, into: &actions)
    var asked: Set<RequestID> = [], answered: Set<RequestID> = []
    /// Where datagrams came from, and where the configuration points: the only endpoints a
    /// datagram may go to whatever the policy says.
    var heardFrom: Set<Endpoint> = []
    var nextID: RequestID = 0
    while let op = ops.byte() {
        let choice = Int(op >> 3)
        let bytes = ops.chunk()
        switch op & 7 {
        case 0:
            let path = choice & 1 == 0 ? Path.direct(net.bobEndpoint) : Path(endpoint: net.bobEndpoint, channel: 0x1234)
            node.handle(.packet(.control(bytes, link: bobLink, from: path)), now: now, into: &actions)
        case 1:
            let source = sources[choice % sources.count]
            heardFrom.insert(source)
            node.handle(.packet(.handshake(bytes, from: .direct(source))), now: now, into: &actions)
        case 2:
            let source = sources[choice % sources.count]
            heardFrom.insert(source)
            node.handle(.packet(.stun(bytes, from: source)), now: now, into: &actions)
        case 3:
            let source = sources[choice % sources.count]
            let arrival = LANBeaconGate.Arrival(source: source, destination: .v4(LANBeacon.group), hopLimit: choice & 8 == 0 ? 1 : 64)
            node.handle(.beacon(bytes, arrival: arrival), now: now, into: &actions)
        case 4:
            let address = IPv4Address(10, 8, UInt8(choice & 3), bytes.first ?? 2)
            switch choice >> 2 & 3 {
            case 0:
                node.handle(.packet(.unroutable(address, packet: ipv4Packet(to: address, payload: Array(bytes.dropFirst())))), now: now,
                            into: &actions)
            case 1:
                node.handle(.packet(.viaCircuit(ipv4Packet(to: address, payload: Array(bytes.dropFirst())))), now: now, into: &actions)
            default:
                // An answer from bob to a flow alice may have delivered as a last hop.
                let answer = ipv4Packet(from: [10, 8, 0, 2], to: [10, 8, 0, 1], payload: Array(bytes.dropFirst()))
                node.handle(.packet(.circuitAnswer(answer, link: bobLink)), now: now, into: &actions)
            }
        case 5:
            nextID += 1
            asked.insert(nextID)
            node.handle(.request(nextID, request(choice, bytes)), now: now, into: &actions)
        case 6:
            let step = Duration.milliseconds(Int64(bytes.first ?? 1) * Int64(choice + 1) * 10)
            now.instant = now.instant + step
            now.unixNanoseconds += UInt64(step.nanosecondsValue)
            node.handleTimeout(now: now, into: &actions)
        default:
            if choice & 1 == 0 {
                node.handle(.localAddresses(HostAddresses(addresses: [.v4(IPv4Address(192, 168, 1, 5))],
                                                          networks: [IPPrefix("192.168.1.0/24")!])), now: now, into: &actions)
            } else {
                let resolved = sources[choice / 2 % sources.count]
                heardFrom.insert(resolved)
                node.handle(.stunServerAddresses([HostPort("stun.example.net:3478")!: .resolved(resolved)]), now: now, into: &actions)
            }
        }
        check(&actions, node: node, heardFrom: heardFrom, asked: asked, answered: &answered, now: now)
    }
    return 0
}

func request(_ choice: Int, _ bytes: [UInt8]) -> NodeRequest {
    switch choice % 4 {
    case 0: .status
    case 1: .lookup(IPv4Address(10, 8, 0, bytes.first ?? 2))
    case 2: .ping(["bob", "10.8.0.2", "carol", String(decoding: bytes, as: UTF8.self)][Int(bytes.first ?? 0) % 4], count: 1 + (bytes.count % 4))
    default: .netcheck
    }
}

func check(_ actions: inout [NodeAction], node: Node, heardFrom: Set<Endpoint>, asked: Set<RequestID>, answered: inout Set<RequestID>,
           now: Moment) {
    for action in actions {
        switch action {
        case .send(_, let endpoint):
            Fuzz.check(policy.admits(endpoint) || heardFrom.contains(endpoint), "a datagram to a refused endpoint \(endpoint)")
        case .reply(let id, _):
            Fuzz.check(asked.contains(id) && answered.insert(id).inserted, "a reply to request \(id), not asked or answered twice")
        case .writeTUN(let packet):
            Fuzz.check(packet.count >= 20 && packet[0] >> 4 == 4 && Array(packet[16..<20]) == net.alice.body.ipv4.address.bytes,
                       "a packet into the TUN device that is not for this host")
        default:
            break
        }
    }
    actions.removeAll(keepingCapacity: true)
    let peers = node.manager.status(now: now.instant)
    Fuzz.check(peers.count <= node.manager.peerLimit + SessionManager.maxProspects, "\(peers.count) peers")
    for peer in peers where peer.state == .connected {
        Fuzz.check(KeyText.parsePublicKey(peer.publicKey).map(issuedKeys.contains) == true, "a session with \(peer.publicKey), whom no CA certified")
    }
    Fuzz.check(node.dht.table.count <= 256 * node.dht.table.k, "a routing table of \(node.dht.table.count)")
}

/// bob's link as alice's packet path finds it: a control message bob sealed, opened.
func link(from bob: SessionManager, at alice: SessionManager) -> PeerLink {
    var sent: [SessionAction] = []
    bob.sendControl(PathProbe(kind: .request, id: 1).encoded, to: net.alice.publicKey, endpoint: nil, now: net.now, into: &sent)
    guard var datagram = sent.sends.first?.bytes else { fatalError("fuzz fixture: bob sent nothing") }
    var notices = DataPath.Notices()
    let verdict = datagram.withUnsafeMutableBytes {
        DataPath.inbound($0, from: net.bobEndpoint, snapshot: alice.snapshot(now: net.now.instant), now: net.now.instant, notices: &notices)
    }
    guard case .control(_, _, let link, _, _) = verdict else { fatalError("fuzz fixture: alice did not open bob's message: \(verdict)") }
    return link
}

/// A UDP packet (if the payload holds a UDP header) from this host (alice, 10.8.0.1) to `destination`.
func ipv4Packet(to destination: IPv4Address, payload: [UInt8]) -> [UInt8] {
    ipv4Packet(from: [10, 8, 0, 1], to: destination.bytes, payload: payload)
}

func ipv4Packet(from source: [UInt8], to destination: [UInt8], payload: [UInt8]) -> [UInt8] {
    let total = 20 + payload.count
    return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 64, 17, 0, 0] + source + destination + payload
}
