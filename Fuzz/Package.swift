// swift-tools-version:6.0
// libFuzzer targets for authreplay's pure parsers (issue 8). A separate package so
// the main build stays fast. Build with scripts/fuzz.sh, or by hand:
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product fuzz-http
import PackageDescription

let deps: [Target.Dependency] = [
    .product(name: "Capture", package: "authreplay"),
    .product(name: "Wire", package: "authreplay"),
    .product(name: "TrafficModel", package: "authreplay"),
    "FuzzDriver",
]

let package = Package(
    name: "authreplay-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "authreplay", path: "..")],
    targets: [
        // libFuzzer's driver, entered from each target's <module>_main.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "fuzz-packet", dependencies: deps),
        .executableTarget(name: "fuzz-reassembly", dependencies: deps),
        .executableTarget(name: "fuzz-http", dependencies: deps),
        .executableTarget(name: "fuzz-websocket", dependencies: deps),
        .executableTarget(name: "fuzz-recording", dependencies: deps),
        .executableTarget(name: "fuzz-har", dependencies: deps),
        .executableTarget(name: "fuzz-sse", dependencies: deps),
        .executableTarget(name: "fuzz-socketio", dependencies: deps),
        .executableTarget(name: "fuzz-tls", dependencies: deps),
    ]
)
