// swift-tools-version:6.1
// libFuzzer targets for Warren's decoders. Build and run them with `scripts/fuzz`; see
// Fuzz/README.md.
//
// The main package exports no library products, so this package cannot depend on it by
// path. Instead `Modules/` holds symlinks to `../Sources/<Module>` and the targets below
// repeat the main manifest's module graph (minus the CLI). SwiftPM compiles them here with
// the fuzzer's coverage instrumentation and AddressSanitizer, in a scratch directory of its
// own, so the main package's build is never touched. `scripts/fuzz` names the modules of
// `Sources/` that are not mirrored here.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// One executable per fuzz target: `Targets/<Name>/<Name>.swift` defines
/// `LLVMFuzzerTestOneInput`, and libFuzzer supplies `main`.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("AddressText", ["WarrenWire"]),
    ("HandshakeMessages", ["WarrenWire"]),
    ("HandshakePayload", ["WarrenWire"]),
    ("PacketHeaders", ["WarrenWire"]),
    ("CertificateDecoding", ["WarrenPKI", "WarrenWire", "WarrenCrypto", "FuzzFixtures"]),
    ("PEMAndKeyText", ["WarrenPKI", "WarrenCrypto"]),
    ("DataPathInbound", ["WarrenSession", "WarrenWire", "FuzzFixtures"]),
    ("ReceiveLoop", ["WarrenDaemon", "WarrenNode", "WarrenCircuit", "WarrenSession", "WarrenNAT", "WarrenLinux", "WarrenWire", "WarrenCrypto",
                     "FuzzFixtures"]),
    ("SessionHandshake", ["WarrenSession", "WarrenWire", "FuzzFixtures"]),
    ("ConfigTOML", ["WarrenDaemon", "WarrenCrypto", "WarrenWire"]),
    ("TCPCoalescer", ["WarrenWire"]),
    ("TCPSegmenter", ["WarrenWire"]),
    ("DHTMessages", ["WarrenDHT", "WarrenPKI", "WarrenWire", "WarrenCrypto", "FuzzFixtures"]),
    ("DHTNode", ["WarrenDHT", "WarrenPKI", "WarrenWire", "WarrenCrypto", "FuzzFixtures"]),
    ("STUNMessages", ["WarrenNAT", "WarrenWire"]),
    ("NATControlMessages", ["WarrenNAT", "WarrenCrypto", "WarrenWire"]),
    ("LANBeacons", ["WarrenNAT", "WarrenPKI", "WarrenWire", "WarrenCrypto", "FuzzFixtures"]),
    ("CircuitMessages", ["WarrenCircuit", "WarrenNoise", "WarrenCrypto", "WarrenWire"]),
    ("RelayDescriptors", ["WarrenCircuit", "WarrenPKI", "WarrenCrypto", "WarrenWire", "FuzzFixtures"]),
    ("AnonymousTranslation", ["WarrenCircuit", "WarrenCrypto", "WarrenWire"]),
    ("ExitPolicies", ["WarrenCircuit", "WarrenWire"]),
    ("CircuitStateFiles", ["WarrenCircuit", "WarrenPKI", "WarrenCrypto", "WarrenWire", "FuzzFixtures"]),
    ("Node", ["WarrenNode", "WarrenCircuit", "WarrenSession", "WarrenDHT", "WarrenNAT", "WarrenPKI", "WarrenWire", "WarrenCrypto", "FuzzFixtures"]),
]

let package = Package(
    name: "warren-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", path: "Modules/CSodium", pkgConfig: "libsodium"),
        .systemLibrary(name: "CZlib", path: "Modules/CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CNftables", path: "Modules/CNftables", pkgConfig: "libnftables"),
        .target(name: "CLinux", path: "Modules/CLinux", linkerSettings: [.linkedLibrary("mnl")]),
        .target(name: "WarrenCrypto", dependencies: ["CSodium"], path: "Modules/WarrenCrypto", swiftSettings: strict),
        .target(name: "WarrenWire", path: "Modules/WarrenWire", swiftSettings: strict),
        .target(name: "WarrenNoise", dependencies: ["WarrenCrypto"], path: "Modules/WarrenNoise", swiftSettings: strict),
        .target(name: "WarrenPKI", dependencies: ["WarrenCrypto", "WarrenWire"], path: "Modules/WarrenPKI",
                swiftSettings: strict),
        .target(name: "WarrenSession", dependencies: ["WarrenCrypto", "WarrenWire", "WarrenNoise", "WarrenPKI", "WarrenNAT",
                                                      .product(name: "HeapModule", package: "swift-collections")],
                path: "Modules/WarrenSession", swiftSettings: strict),
        .target(name: "WarrenDHT", dependencies: ["WarrenCrypto", "WarrenWire", "WarrenPKI"], path: "Modules/WarrenDHT",
                swiftSettings: strict),
        .target(name: "WarrenNAT", dependencies: ["CZlib", "WarrenCrypto", "WarrenWire", "WarrenPKI"], path: "Modules/WarrenNAT", swiftSettings: strict),
        .target(name: "WarrenCircuit", dependencies: ["WarrenCrypto", "WarrenNoise", "WarrenPKI", "WarrenSession", "WarrenWire",
                                                     .product(name: "DequeModule", package: "swift-collections")],
                path: "Modules/WarrenCircuit",
                swiftSettings: strict),
        .target(name: "WarrenNode", dependencies: ["WarrenCircuit", "WarrenSession", "WarrenDHT", "WarrenNAT", "WarrenPKI", "WarrenCrypto", "WarrenWire"], path: "Modules/WarrenNode",
                swiftSettings: strict),
        .target(name: "WarrenLinux", dependencies: ["CLinux", "CNftables", "WarrenWire"], path: "Modules/WarrenLinux",
                swiftSettings: strict),
        .target(name: "WarrenDaemon",
                dependencies: [
                    "WarrenCircuit", "WarrenCrypto", "WarrenWire", "WarrenPKI", "WarrenSession", "WarrenDHT", "WarrenNAT", "WarrenNode", "WarrenLinux",
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "TOMLKit", package: "TOMLKit"),
                ],
                path: "Modules/WarrenDaemon", swiftSettings: strict),

        // Shared by every target: invariant checks, input helpers, the seed writer.
        .target(name: "FuzzSupport", path: "Support/FuzzSupport"),
        // A small deterministic network (CA, alice, bob, carol) for the stateful targets.
        .target(name: "FuzzFixtures",
                dependencies: ["WarrenPKI", "WarrenSession", "WarrenNoise", "WarrenCrypto", "WarrenWire", "WarrenDHT"],
                path: "Support/FuzzFixtures"),
    ] + fuzzTargets.map { t in
        .executableTarget(name: t.name, dependencies: t.dependencies + ["FuzzSupport"], path: "Targets/\(t.name)",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
