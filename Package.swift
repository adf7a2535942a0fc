// swift-tools-version:6.1
import PackageDescription

// Language settings every target shares (DESIGN.md §10).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ztna",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ztna", targets: ["ztna"]),
        .library(name: "QUICCore", targets: ["QUICCore"]),
        .library(name: "QUICNIO", targets: ["QUICNIO"]),
        // For the separate FuzzTesting package (DESIGN.md §11.7), which can only depend on products.
        .library(name: "QUICWire", targets: ["QUICWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // CNIOBoringSSL's QUIC API is not public API of swift-nio-ssl: pinned exactly (DESIGN.md §2).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // MARK: - QUIC engine
        .target(name: "QUICWire", swiftSettings: strictSettings),
        .target(
            name: "QUICCrypto",
            dependencies: [
                "QUICWire", "QUICTLS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "QUICTLS",
            dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "QUICCore",
            dependencies: [
                "QUICWire", "QUICCrypto", "QUICTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "QUICNIO",
            dependencies: [
                "QUICCore", "QUICTLS", "QUICWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "QUICTestFixtures", swiftSettings: strictSettings),
        // Test support: manual clock, simulated links, the QUICPair harness (DESIGN.md §11).
        .target(
            name: "ZTNASimulation",
            dependencies: ["QUICCore", "QUICTLS", "QUICWire", "QUICTestFixtures",
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),

        // Benchmarks behind `ztna bench` (DESIGN.md §12): figures with baselines measured in the same run.
        .target(
            name: "ZTNABench",
            dependencies: ["QUICCore", "QUICNIO", "QUICTLS", "QUICTestFixtures", "ZTNARuntime", "ZTNAProtocol",
                           "ZTNAIdentity", "ZTNAConfig", "RelayCore",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strictSettings
        ),

        // MARK: - ZTNA protocol, identity, configuration, role cores (sans-IO)
        .target(
            name: "ZTNAProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ZTNAIdentity",
            dependencies: ["ZTNAProtocol",
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(name: "ZTNAConfig", dependencies: ["ZTNAProtocol"], swiftSettings: strictSettings),
        .target(
            name: "RelayCore",
            dependencies: ["ZTNAProtocol", "ZTNAIdentity", .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: strictSettings
        ),
        .target(name: "IPPacket", swiftSettings: strictSettings),
        // Candidates, pairing, probe schedule, path selection and liveness for direct paths (DESIGN.md §6);
        // sans-IO and knows no QUIC.
        .target(name: "NATTraversal", dependencies: [.product(name: "NIOCore", package: "swift-nio")],
                swiftSettings: strictSettings),
        // NAT traversal applied to one tunnel's QUIC connection (DESIGN.md §6 "one session per tunnel"); sans-IO.
        .target(
            name: "TunnelTraversal",
            dependencies: ["NATTraversal", "QUICCore", "QUICWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "UserspaceTCP",
            dependencies: ["IPPacket", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: strictSettings
        ),

        // MARK: - Role shells (NIO, sockets, TUN, admin HTTP); subdirectories per concern
        .target(
            name: "ZTNARuntime",
            dependencies: [
                "QUICCore", "QUICNIO", "QUICTLS", "QUICWire", "RelayCore", "ZTNAProtocol", "ZTNAIdentity", "ZTNAConfig", "IPPacket",
                "UserspaceTCP", "NATTraversal", "TunnelTraversal",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - The executable
        .executableTarget(
            name: "ztna",
            dependencies: [
                "QUICCore", "QUICNIO", "QUICTLS", "QUICTestFixtures", "ZTNABench", "ZTNARuntime", "ZTNAIdentity",
                "ZTNAProtocol", "ZTNAConfig", "RelayCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Tests
        .testTarget(name: "QUICWireTests", dependencies: ["QUICWire"], swiftSettings: strictSettings),
        .testTarget(
            name: "QUICCryptoTests",
            dependencies: ["QUICCrypto", "QUICWire"],
            resources: [.copy("Resources/rfc9001.json")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "QUICTLSTests", dependencies: ["QUICTLS", "QUICTestFixtures"], swiftSettings: strictSettings),
        .testTarget(
            name: "QUICCoreTests",
            dependencies: ["QUICCore", "QUICWire", "QUICCrypto", "QUICTLS", "QUICTestFixtures", "ZTNASimulation",
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "QUICNIOTests",
            dependencies: ["QUICNIO", "QUICCore", "QUICTLS", "QUICTestFixtures",
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ZTNARuntimeTests",
            dependencies: ["ZTNARuntime", "UserspaceTCP", "IPPacket", "QUICCore", "QUICNIO", "QUICTLS", "RelayCore",
                           "ZTNAProtocol", "ZTNAIdentity", "ZTNAConfig",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "CoreMetrics", package: "swift-metrics"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "ZTNAProtocolTests", dependencies: ["ZTNAProtocol", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: strictSettings),
        .testTarget(name: "RelayCoreTests",
                    dependencies: ["RelayCore", "ZTNAProtocol", "ZTNAIdentity", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: strictSettings),
        .testTarget(name: "ZTNAIdentityTests",
                    dependencies: ["ZTNAIdentity", "ZTNAProtocol",
                                   .product(name: "X509", package: "swift-certificates"),
                                   .product(name: "SwiftASN1", package: "swift-asn1"),
                                   .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "ZTNAConfigTests", dependencies: ["ZTNAConfig", "ZTNAProtocol"], swiftSettings: strictSettings),
        .testTarget(name: "IPPacketTests", dependencies: ["IPPacket"], swiftSettings: strictSettings),
        .testTarget(name: "NATTraversalTests", dependencies: ["NATTraversal", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: strictSettings),
        .testTarget(name: "TunnelTraversalTests",
                    dependencies: ["TunnelTraversal", "NATTraversal", "QUICCore", "ZTNASimulation",
                                   .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: strictSettings),
        .testTarget(name: "ZTNASimulationTests",
                    dependencies: ["ZTNASimulation", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: strictSettings),
        .testTarget(name: "UserspaceTCPTests",
                    dependencies: ["UserspaceTCP", "IPPacket", .product(name: "NIOCore", package: "swift-nio")],
                    swiftSettings: strictSettings),
        // aioquic ↔ ztna interop (DESIGN.md §11.5): drives the built `ztna` binary and scripts/interop/aioquic_peer.py.
        .testTarget(name: "InteropTests", dependencies: ["QUICTestFixtures"], swiftSettings: strictSettings),
    ]
)
