public import Logging
import WarrenCircuit
import WarrenCrypto
import WarrenDHT
import WarrenLinux
import WarrenNAT
import WarrenNode
import WarrenPKI
import WarrenSession
import WarrenWire

/// A running node: the TUN interface and UDP socket it owns, the packet threads, and the
/// control thread (the caller's) that drives the `Node` and carries out its actions. `run()`
/// returns after SIGTERM or SIGINT, with the interface, its routes, the control socket and
/// an exit's nftables table removed.
public final class Daemon {
    let config: Config
    let logger: Logger
    /// Every decision: the daemon hands it events and carries out its actions.
    let node: Node
    let certificate: Certificate
    let tun: TunDevice
    let socket: UDPSocket
    let control: ControlServer
    let signals: SignalFD
    let stop: EventFD
    let queue: ControlQueue
    let drops = DropCounters()
    /// The packet threads' copies of the routes and keys, and of the relay bindings.
    let snapshots = SnapshotBox(RoutingSnapshot.empty)
    let forwarding = SnapshotBox(RelayForwarding.empty)
    let circuitRelay = SnapshotBox<LockedCircuitRelay?>(nil)
    let circuitSending = SnapshotBox(CircuitSending.empty)
    let circuitEnds = SnapshotBox(CircuitEnds.empty)
    /// Control requests waiting for the node's reply.
    var requests: [RequestID: ControlRequest] = [:]
    var nextRequestID: RequestID = 0
    /// What the node was last told about the host's addresses, and when they are read again.
    var hostAddresses: HostAddresses?
    var nextHostCheck: Instant = .zero
    /// The LAN beacon socket (nil when beacons are off, or it could not be opened), and the
    /// links where it joined the beacon group (a failed join is tried with the next beacon).
    let beaconSocket: MulticastSocket?
    var beaconNetworks: Set<IPv4Address> = []
    var beaconInterfacesIPv6: Set<UInt32> = []
    /// The addresses of the STUN servers configured by name, and which of their answers the
    /// node has.
    let serverNames: ServerNames
    var serverNamesGeneration: UInt64 = 0

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
        let overlayIPv6: Bool
        do {
            overlayIPv6 = try OverlayInterface.configure(tun.name, certificate: certificate, mtu: config.mtu)
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
        let recordSigner = SigningKey(seed: identity.signingKey.seed())
        let manager = SessionManager(identity: identity.signingKey, certificate: identity.certificate,
                                     authority: identity.authority, peers: identity.peers, blocklist: config.blocklist,
                                     peerLimit: config.maxPeers, random: SystemRandom())
        Self.applyBenchRekey(to: manager, logger: logger)
        beaconSocket = Self.openBeaconSocket(config: config, family: socket.family, logger: logger)
        let settings = NodeSettings(
            interfaceName: tun.name, listenPort: socket.localPort, dualStack: socket.family == .dualStack, overlayIPv6: overlayIPv6,
            bootstrap: config.bootstrap.compactMap { node in KeyText.parsePublicKey(node.publicKey).map { Contact(publicKey: $0, endpoint: node.endpoint) } },
            advertise: config.advertise, stunServers: config.stunServers, natKeepalive: .seconds(config.natKeepaliveSeconds),
            lanBeacons: beaconSocket != nil, circuits: Self.circuitSettings(config: config, interface: tun.name, logger: logger))
        node = Node(settings: settings, manager: manager, recordSigner: recordSigner, authority: identity.authority, drops: drops,
                    random: SystemRandom(), now: MonotonicClock.now())
        if !overlayIPv6 {
            logger.warning("IPv6 is disabled on this host: running IPv4-only, without the overlay address \(certificate.body.ipv6)",
                           metadata: .init([.interface: tun.name]))
        }
    }

    /// The node's circuit settings, with the guards and the relay directory of the last run.
    static func circuitSettings(config: Config, interface: String, logger: Logger) -> CircuitSettings {
        let c = config.circuits
        var guards = GuardSet()
        var directory: SavedDirectory?
        if !c.routes.isEmpty {
            if c.hops < Config.Circuits.recommendedHops {
                logger.warning("circuits of fewer than 3 hops: one relay sees both who sends and where it goes",
                               metadata: .init([.count: "\(c.hops) hops"]))
            }
            do {
                guards = try CircuitStateFile(guardsIn: config.stateDirectory, interface: interface).load() ?? GuardSet()
            } catch {
                logger.warning("cannot read the saved circuit guards: choosing new ones", metadata: .init([.reason: "\(error)"]))
            }
        }
        if !c.routes.isEmpty || c.relay {
            do {
                directory = try CircuitStateFile(directoryIn: config.stateDirectory, interface: interface).load()
            } catch {
                logger.warning("cannot read the saved relay directory: asking relays afresh", metadata: .init([.reason: "\(error)"]))
            }
        }
        return CircuitSettings(relay: c.relay, hops: c.hops, routes: c.routes, acceptAnonymous: c.acceptAnonymous, padding: c.padding,
                               guards: guards, directory: directory)
    }

    public func run() throws(StartupError) {
        // A relay forwards runs of datagrams as the kernel joined them (UDP GRO in, GSO out).
        if node.isRelay {
            do {
                try socket.enableReceiveOffload()
            } catch {
                logger.warning("relaying datagram by datagram: \(error)")
            }
        }
        let exitHost: ExitHost?
        do {
            exitHost = try ExitHost.start(config: config, certificate: certificate, interface: tun.name, logger: logger)
        } catch {
            teardown()
            throw error
        }
        let threads = TunnelThreads(tun: tun, socket: socket, snapshots: snapshots, forwarding: forwarding, circuitRelay: circuitRelay, circuitSending: circuitSending, circuitEnds: circuitEnds, queue: queue, drops: drops,
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
            exitHost?.stop(logger: logger)
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
        logger.info("warren is up", metadata: .init([
            .interface: tun.name, .address: "\(certificate.body.ipv4)", .port: "\(socket.localPort)", .peers: "\(config.peers.count)",
        ]))
        try? SdNotify.send("READY=1\nSTATUS=\(tun.name) \(certificate.body.ipv4.address) listening on port \(socket.localPort)")
        runControlLoop()
        var actions: [NodeAction] = []
        node.stop(into: &actions)
        perform(&actions)
        try? SdNotify.send("STOPPING=1")
        try? stop.signal()
        outbound.join()
        inbound.join()
        controlThread.join()
        exitHost?.stop(logger: logger)
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
