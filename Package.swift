// swift-tools-version:6.0
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOWebSocket", package: "swift-nio"),
]

let package = Package(
    name: "authreplay",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "authreplay", targets: ["authreplay"]),
        .library(name: "TrafficModel", targets: ["TrafficModel"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "MockStaging", targets: ["MockStaging"]),
        .library(name: "Replay", targets: ["Replay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // The recording: sessions, exchanges, WebSocket messages, auth findings, codec.
        .target(name: "TrafficModel"),
        // libpcap as a system library (Debian: libpcap-dev).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(
            name: "Capture",
            dependencies: [
                "TrafficModel", "CPcap",
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .target(
            name: "MockStaging",
            dependencies: ["TrafficModel", .product(name: "CompressNIO", package: "compress-nio")] + nio
        ),
        .target(name: "Replay", dependencies: ["TrafficModel"] + nio),
        .executableTarget(
            name: "authreplay",
            dependencies: [
                "TrafficModel", "Capture", "MockStaging", "Replay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "TrafficModelTests", dependencies: ["TrafficModel"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "TrafficModel"]),
        .testTarget(name: "MockStagingTests", dependencies: ["MockStaging", "TrafficModel"] + nio),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "TrafficModel"] + nio),
        .testTarget(name: "AuthreplayCLITests", dependencies: ["TrafficModel"]),
    ]
)
