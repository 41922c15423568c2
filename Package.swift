// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "warren",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warren", targets: ["warren"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .target(name: "CLinux", linkerSettings: [.linkedLibrary("mnl")]),

        // Leaves: primitives and wire vocabulary.
        .target(name: "WarrenCrypto", dependencies: ["CSodium"], swiftSettings: strict),
        .target(name: "WarrenWire", swiftSettings: strict),

        // Sans-I/O protocol cores.
        .target(name: "WarrenNoise", dependencies: ["WarrenCrypto"], swiftSettings: strict),
        .target(name: "WarrenPKI", dependencies: ["WarrenCrypto", "WarrenWire"], swiftSettings: strict),
        .target(name: "WarrenSession",
                dependencies: ["WarrenCrypto", "WarrenWire", "WarrenNoise", "WarrenPKI", "WarrenNAT",
                               .product(name: "HeapModule", package: "swift-collections")],
                swiftSettings: strict),

        .target(name: "WarrenDHT", dependencies: ["WarrenCrypto", "WarrenWire", "WarrenPKI"], swiftSettings: strict),
        .target(name: "WarrenNAT", dependencies: ["CZlib", "WarrenCrypto", "WarrenWire", "WarrenPKI"], swiftSettings: strict),
        // Onion circuits, sans I/O: layers, and (to come) builds, paths, guards, relay tables.
        .target(name: "WarrenCircuit", dependencies: ["WarrenCrypto", "WarrenNoise", "WarrenPKI", "WarrenSession", "WarrenWire",
                                                     .product(name: "DequeModule", package: "swift-collections")],
                swiftSettings: strict),
        // The node's decisions, sans I/O: what the daemon only wires to sockets and threads.
        .target(name: "WarrenNode", dependencies: ["WarrenCircuit", "WarrenSession", "WarrenDHT", "WarrenNAT", "WarrenPKI", "WarrenCrypto", "WarrenWire"],
                swiftSettings: strict),

        // The DHT simulator: thousands of in-process DHT nodes over a simulated network.
        .target(name: "WarrenSimulation",
                dependencies: ["WarrenNode", "WarrenSession", "WarrenNAT", "WarrenDHT", "WarrenPKI", "WarrenCrypto", "WarrenWire"],
                swiftSettings: strict),
        .executableTarget(name: "warren-sim",
                          dependencies: ["WarrenSimulation", "WarrenDHT", "WarrenPKI", "WarrenCrypto", "WarrenWire",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/warren-sim", swiftSettings: strict),

        // The only module that makes syscalls.
        .target(name: "WarrenLinux", dependencies: ["CLinux", "CNftables", "WarrenWire"], swiftSettings: strict),

        // Wiring: config, threads, control socket.
        .target(name: "WarrenDaemon",
                dependencies: [
                    "WarrenCircuit", "WarrenCrypto", "WarrenWire", "WarrenPKI", "WarrenSession", "WarrenDHT", "WarrenNAT", "WarrenNode", "WarrenLinux",
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "TOMLKit", package: "TOMLKit"),
                ],
                swiftSettings: strict),
        .executableTarget(name: "warren",
                          dependencies: [
                              "WarrenDaemon", "WarrenCircuit", "WarrenNode", "WarrenPKI", "WarrenCrypto", "WarrenLinux", "WarrenWire",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "Logging", package: "swift-log"),
                          ],
                          swiftSettings: strict),

        // Instructions and allocations per packet of the data path, under callgrind (bench/callgrind).
        .executableTarget(name: "warren-bench",
                          dependencies: ["WarrenSession", "WarrenCircuit", "WarrenPKI", "WarrenCrypto", "WarrenWire", "WarrenNoise"],
                          path: "bench/Sources/warren-bench", swiftSettings: strict),

        // A member's real session with a victim, for the two tools below that misbehave in it.
        .target(name: "WarrenMemberSession",
                dependencies: ["WarrenDaemon", "WarrenSession", "WarrenPKI", "WarrenLinux", "WarrenCrypto", "WarrenWire"],
                path: "Tests/WarrenMemberSession", swiftSettings: strict),

        // bench/flood's flooder: initiations from a non-member, DHT queries from a member.
        .executableTarget(name: "warren-flood",
                          dependencies: ["WarrenMemberSession", "WarrenDaemon", "WarrenSession", "WarrenDHT", "WarrenNoise", "WarrenPKI",
                                         "WarrenLinux", "WarrenCrypto", "WarrenWire"],
                          path: "bench/Sources/warren-flood", swiftSettings: strict),

        // A misbehaving member for the integration tests: forged punch notices, unicast beacons,
        // DHT answers full of invented contacts.
        .executableTarget(name: "warren-forge",
                          dependencies: ["WarrenMemberSession", "WarrenDaemon", "WarrenSession", "WarrenNAT", "WarrenDHT", "WarrenPKI",
                                         "WarrenLinux", "WarrenCrypto", "WarrenWire"],
                          path: "Tests/warren-forge", swiftSettings: strict),

        .target(name: "WarrenTestSupport", path: "Tests/WarrenTestSupport"),
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .target(name: "CPrivateNamespace", path: "Tests/CPrivateNamespace"),
        .testTarget(name: "WarrenCryptoTests", dependencies: ["WarrenCrypto", "WarrenTestSupport"],
                    resources: [.copy("Vectors")]),
        .testTarget(name: "WarrenWireTests", dependencies: ["WarrenWire", "WarrenCrypto"]),
        .testTarget(name: "WarrenNoiseTests", dependencies: ["WarrenNoise", "WarrenCrypto", "WarrenTestSupport"],
                    resources: [.copy("Vectors")]),
        .testTarget(name: "WarrenPKITests", dependencies: ["WarrenPKI", "WarrenCrypto", "WarrenWire"]),
        .testTarget(name: "WarrenSessionTests",
                    dependencies: ["WarrenSession", "WarrenPKI", "WarrenCrypto", "WarrenWire", "WarrenNoise", "CAllocationCounter"]),
        .testTarget(name: "WarrenDHTTests", dependencies: ["WarrenDHT", "WarrenCrypto", "WarrenWire", "WarrenPKI"]),
        .testTarget(name: "WarrenNodeTests",
                    dependencies: ["WarrenNode", "WarrenCircuit", "WarrenSession", "WarrenDHT", "WarrenNAT", "WarrenCrypto", "WarrenWire", "WarrenPKI"]),
        .testTarget(name: "WarrenCircuitTests", dependencies: ["WarrenCircuit", "WarrenNoise", "WarrenSession", "WarrenPKI", "WarrenCrypto",
                                                               "WarrenWire"]),
        .testTarget(name: "WarrenNATTests", dependencies: ["WarrenNAT", "WarrenCrypto", "WarrenWire", "WarrenPKI"]),
        .testTarget(name: "WarrenSimulationTests", dependencies: ["WarrenSimulation", "WarrenDHT"]),
        .testTarget(name: "WarrenDaemonTests", dependencies: ["WarrenDaemon", "WarrenCircuit", "WarrenPKI", "WarrenCrypto", "WarrenLinux", "WarrenWire",
                                                             "CPrivateNamespace"]),
        .testTarget(name: "WarrenLinuxTests", dependencies: ["WarrenLinux", "WarrenWire", "CAllocationCounter"]),
        .testTarget(name: "WarrenIntegrationTests", dependencies: ["WarrenTestSupport"], exclude: ["Lab/udp-probe.py", "Lab/udp-send.py"]),
    ]
)
