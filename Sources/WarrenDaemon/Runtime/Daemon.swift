public import Logging
import WarrenCrypto
import WarrenDHT
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// A running node: the TUN interface and UDP socket it owns, the packet threads, and the
/// control thread (the caller's) that drives the session manager. `run()` returns after
/// SIGTERM or SIGINT, with the interface, its routes and the control socket removed.
public final class Daemon {
    let config: Config
    let logger: Logger
    /// The decisions: sessions, the DHT and address resolution so far (issue 12 moves the
    /// rest of this class's rules there).
    let node: Node
    let certificate: Certificate
    /// False on a host with IPv6 disabled: the node runs with its IPv4 overlay address only.
    let overlayIPv6: Bool
    let tun: TunDevice
    let socket: UDPSocket
    let control: ControlServer
    let signals: SignalFD
    let stop: EventFD
    let queue: ControlQueue
    let drops = DropCounters()
    let snapshots = SnapshotBox(RoutingSnapshot.empty)
    var publishedVersion: UInt64 = .max
    /// Relaying (`Daemon+Relay`): the channels bound, the packet threads' copy, and rate
    /// limits on the requests each member makes.
    var relayTable = RelayTable()
    let forwarding = SnapshotBox(RelayForwarding.empty)
    var publishedRelayVersion: (routing: UInt64, table: UInt64) = (.max, .max)
    var relayLimits = KeyedRateLimiter<Key32>(capacity: Daemon.relayBurst, perSecond: Daemon.relayRequestsPerSecond, maxKeys: 1024)
    var nextRelayRefresh: Instant = .zero
    /// The key that signs this node's record and its LAN beacons (a second copy of the node
    /// key; the session manager holds the first), and the record's state.
    let recordSigner: SigningKey
    var recordSequence: UInt64 = 0
    var lastPublished: Instant?
    var lastSaved: Instant?
    /// `warren lookup` requests waiting for their lookup to end.
    var lookupRequests: [UInt32: (IPv4Address, ControlRequest)] = [:]
    /// Lookups of the records of peers that stopped answering, by lookup: whose record.
    var whereabouts: [UInt32: Key32] = [:]
    var stunResponder = STUNResponder()
    var netChecks: [NetCheck] = []
    /// This node's public addresses as STUN answers last showed them (`Daemon+Candidates`).
    var reflexive: [Endpoint] = []
    /// How this node's NAT maps it, as those answers tell (it decides whether guessing a
    /// symmetric NAT's ports can help, `PortPrediction`).
    var mapping: MappingBehaviour = .unknown
    var candidateProbe: BindingProbe?
    /// The first check waits a few seconds for peers to ask.
    var nextCandidateCheck = MonotonicClock.now() + .seconds(3)
    /// The endpoints of the record last published.
    var publishedEndpoints: [Endpoint] = []
    var publishedRendezvous: [Contact] = []
    /// The record last published: punch requests carry it, so the peer can check who asks
    /// and where to answer.
    var publishedRecord: PeerRecord?
    /// Which punch notices are obeyed (`Daemon+Punch`).
    var punches: PunchCoordinator
    /// Rate limits on the punch messages each peer sends (`Daemon+Punch`).
    var punchLimits = KeyedRateLimiter<Key32>(capacity: Daemon.punchBurst, perSecond: Daemon.punchesPerSecond, maxKeys: 1024)
    /// `warren ping` runs in progress (`Daemon+Ping`).
    var pings: [PingRun] = []
    /// LAN beacons (`Daemon+LAN`): the socket they arrive on (nil when they are off, or it
    /// could not be opened), which are believed, when the next goes out and how many went,
    /// the time stamp of the last (each is signed with a later one), where this node listens
    /// (IPv4 networks, IPv6 interfaces), and rate limits per source address.
    let beaconSocket: MulticastSocket?
    var beaconGate: LANBeaconGate
    var nextBeacon: Instant = .zero
    var lastBeaconMilliseconds: UInt64 = 0
    var beaconsSent = 0
    var beaconNetworks: Set<IPv4Address> = []
    var beaconInterfacesIPv6: Set<UInt32> = []
    var beaconLimits = KeyedRateLimiter<IPAddress>(capacity: Daemon.beaconBurst, perSecond: Daemon.beaconsPerSecond, maxKeys: 1024)
    var random = SystemRandom()
    /// The addresses of the STUN servers configured by name.
    let serverNames: ServerNames

    /// Sets everything up; any failure is reported as a sentence naming what failed, and what
    /// was already created is removed again.
    public init(config: Config, identity: consuming NodeIdentity, logger: Logger) throws(StartupError) {
        self.config = config
        self.logger = logger
        serverNames = ServerNames(config.stunServers)
        certificate = identity.certificate
        // Signals must be blocked before any thread starts, so every thread inherits the mask
        // and SIGTERM reaches only the signalfd.
        do {
            signals = try SignalFD()
            stop = try EventFD()
            queue = try ControlQueue(drops: drops)
        } catch {
            throw StartupError("setting up signal handling: \(error)")
        }
        do {
            socket = try UDPSocket(port: config.listenPort, bufferBytes: config.socketBufferBytes)
        } catch {
            throw StartupError(ConfigError(file: config.file, key: "listen.port", problem: error.description).description, isConfig: true)
        }
        do {
            tun = try TunDevice(name: config.interfaceName, offloads: true)
        } catch {
            socket.close()
            throw StartupError("creating interface \(config.interfaceName): \(error)")
        }
        do {
            overlayIPv6 = try Self.configureInterface(tun.name, certificate: certificate, mtu: config.mtu)
        } catch {
            tun.close()
            socket.close()
            throw StartupError("configuring \(tun.name): \(error)")
        }
        let controlSocket: UnixControlSocket
        do {
            controlSocket = try UnixControlSocket(path: config.controlSocket)
        } catch {
            tun.close()
            socket.close()
            throw StartupError(ConfigError(file: config.file, key: "control.socket", problem: error.description).description, isConfig: true)
        }
        do {
            control = try ControlServer(socket: controlSocket)
        } catch {
            controlSocket.close()
            tun.close()
            socket.close()
            throw StartupError("setting up the control socket: \(error)")
        }
        recordSigner = SigningKey(seed: identity.signingKey.seed())
        var random = SystemRandom()
        let dht = DHTNode(own: Contact(publicKey: identity.certificate.publicKey,
                                       endpoint: Endpoint(address: .v4(IPv4Address(0)), port: socket.localPort)),
                          authority: identity.authority, random: &random)
        let manager = SessionManager(identity: identity.signingKey, certificate: identity.certificate,
                                     authority: identity.authority, peers: identity.peers, blocklist: config.blocklist,
                                     random: SystemRandom())
        node = Node(manager: manager, dht: dht)
        Self.applyBenchRekey(to: manager, logger: logger)
        punches = PunchCoordinator(own: identity.certificate.publicKey, policy: node.manager.endpointPolicy)
        beaconGate = LANBeaconGate(authority: identity.authority, ownKey: identity.certificate.publicKey)
        beaconSocket = Self.openBeaconSocket(config: config, family: socket.family, logger: logger)
        if !overlayIPv6 {
            logger.warning("IPv6 is disabled on this host: running IPv4-only, without the overlay address \(certificate.body.ipv6)",
                           metadata: ["interface": "\(tun.name)"])
        }
    }

    /// Addresses (IPv4 and the derived IPv6, each with the overlay prefix, which also
    /// installs the overlay routes), MTU, link up, and routes for nothing else: peers' routed
    /// subnets are the kernel's to reach through us only if the operator routes them.
    /// Returns whether the IPv6 address is there: a host with IPv6 disabled refuses it
    /// (EACCES for `disable_ipv6`, EAFNOSUPPORT without the IPv6 stack), and runs IPv4-only.
    static func configureInterface(_ name: String, certificate: Certificate, mtu: Int) throws(SystemError) -> Bool {
        let netlink = try Netlink()
        let index = try netlink.interfaceIndex(name: name)
        try netlink.setLinkUp(index: index, mtu: UInt32(mtu))
        try netlink.addAddress(certificate.body.ipv4, index: index)
        do {
            try netlink.addAddress(certificate.body.ipv6, index: index)
        } catch where Netlink.isFamilyDisabled(error) {
            return false
        }
        return true
    }

    public func run() throws(StartupError) {
        // A relay forwards runs of datagrams as the kernel joined them (UDP GRO in, GSO out).
        if isRelay {
            do {
                try socket.enableReceiveOffload()
            } catch {
                logger.warning("relaying datagram by datagram: \(error)")
            }
        }
        let threads = TunnelThreads(tun: tun, socket: socket, snapshots: snapshots, forwarding: forwarding, queue: queue, drops: drops,
                                    stop: stop, mtu: config.mtu, overlayIPv6: certificate.body.ipv6.network,
                                    handshakeKey: node.manager.handshakePublicKey)
        let outbound: OSThread, inbound: OSThread, controlThread: OSThread
        let (control, stop, logger) = (control, stop, logger)
        do {
            outbound = try OSThread(name: "warren-tx") { threads.runOutbound() }
            inbound = try OSThread(name: "warren-rx") { threads.runInbound() }
            // Its own thread: a slow or silent client must never delay handshakes and timers.
            controlThread = try OSThread(name: "warren-ctl") {
                do {
                    try control.run(stop: stop)
                } catch {
                    logger.critical("the control socket stopped answering: \(error)")
                }
            }
        } catch {
            teardown()
            throw StartupError("starting threads: \(error)")
        }
        if !serverNames.names.isEmpty {
            let names = serverNames
            do {
                try OSThread(name: "warren-dns") { names.run(stop: stop, logger: logger) }.detach()
            } catch {
                logger.error("cannot start the thread that looks up STUN server names: \(error)")
            }
        }
        logger.info("warren is up", metadata: [
            "interface": "\(tun.name)", "address": "\(certificate.body.ipv4)", "port": "\(socket.localPort)",
            "peers": "\(config.peers.count)",
        ])
        try? SdNotify.send("READY=1\nSTATUS=\(tun.name) \(certificate.body.ipv4.address) listening on port \(socket.localPort)")
        runControlLoop()
        saveContacts()
        try? SdNotify.send("STOPPING=1")
        try? stop.signal()
        outbound.join()
        inbound.join()
        controlThread.join()
        teardown()
        logger.info("warren stopped; \(tun.name) removed")
    }

    func teardown() {
        control.socket.close()
        tun.close()
        socket.close()
        beaconSocket?.close()
    }
}

/// Why the daemon could not start: one line for the operator. Configuration problems exit
/// with status 2, everything else with 1.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    public let isConfig: Bool

    init(_ description: String, isConfig: Bool = false) {
        self.description = description
        self.isConfig = isConfig
    }
}
