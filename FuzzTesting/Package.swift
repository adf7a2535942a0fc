// swift-tools-version:6.1
// libFuzzer targets for every QUICWire parser that reads peer bytes (DESIGN.md §11.7). A separate package so
// that the sanitizer flags never touch the main build; see README.md for the commands.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "FuzzTesting",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "ztna", path: "..")],
    targets: [
        // libFuzzer's driver for the targets' `@main` (see Sources/CLibFuzzer/include/CLibFuzzer.h).
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "FuzzPacketHeader",
            dependencies: ["CLibFuzzer", .product(name: "QUICWire", package: "ztna")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FuzzFrames",
            dependencies: ["CLibFuzzer", .product(name: "QUICWire", package: "ztna")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FuzzTransportParameters",
            dependencies: ["CLibFuzzer", .product(name: "QUICWire", package: "ztna")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FuzzPathFrames",
            dependencies: ["CLibFuzzer", .product(name: "QUICWire", package: "ztna")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FuzzTraversalFrames",
            dependencies: ["CLibFuzzer", .product(name: "QUICWire", package: "ztna")],
            swiftSettings: strictSettings
        ),
    ]
)
