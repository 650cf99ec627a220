// swift-tools-version:6.0
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "NIOWebSocket", package: "swift-nio"),
]

let testClients: [Target.Dependency] = [
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "WSClient", package: "swift-websocket"),
    .product(name: "WSCompression", package: "swift-websocket"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "HTTPTypes", package: "swift-http-types"),
]

/// Imports are internal unless a module's API needs them public, and a type's
/// members are visible only where their module is imported.
let strictImports: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "authreplay",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "authreplay", targets: ["authreplay"]),
        .executable(name: "staging-service", targets: ["staging-service"]),
        .library(name: "TrafficModel", targets: ["TrafficModel"]),
        // Wire is a product for the fuzz package (Fuzz/), which drives its public parsers.
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "MockStaging", targets: ["MockStaging"]),
        .library(name: "Replay", targets: ["Replay"]),
        .library(name: "Report", targets: ["Report"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Independent, real clients for the servers' tests and the demo's scripted client.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        // Public/private-key JWTs (RS*, PS*, ES*, EdDSA) for --jwt-key and --resign-jwt-key; only the
        // CLI's key-file adapter imports it (HS* stays in TrafficModel, over swift-crypto's HMAC).
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // What the demo's and the tests' client libraries speak in their APIs (loggers, HTTP fields).
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // SIGINT/SIGTERM for the long-running commands (UnixSignalsSequence).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // SHA-2 and HMAC for TrafficModel (HS* JWTs, redaction pseudonyms). Already in the graph
        // through jwt-kit, which takes "4.1.0"..<"6.0.0"; a 4.x here keeps the two on one copy.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // The recording: sessions, exchanges, WebSocket messages, auth findings, codec.
        .target(name: "TrafficModel", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // libpcap as a system library (Debian: libpcap-dev).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // The protocol code every side shares, pure (bytes in, values out; no channels, no clock):
        // HTTP/1.x with the one body-length rule, WebSocket frames, the one message reassembler and
        // framer, permessage-deflate (RFC 7692, zlib), and ConnectionDecoder (two byte streams to a
        // Session). Capture, MockStaging and Replay are adapters over it and never import one another.
        // The TLS record layer (Wire/TLS) decrypts with swift-crypto (AES-GCM, ChaChaPoly, HKDF, HMAC)
        // and _CryptoExtras (AES-CBC, which Crypto lacks); no cipher is written by hand.
        .target(name: "Wire", dependencies: [
            "TrafficModel", .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // NIO adapters over Wire that the mock and Replay share (NIO frames through Wire's reassembler and framer).
        .target(name: "WireNIO", dependencies: ["TrafficModel", "Wire"] + nio),
        // Guards for the two servers (the mock and the recording proxy): slow
        // request heads (slowloris) and idle connections are closed.
        // And the TLS files both load (--tls-cert/--tls-key).
        .target(name: "ConnectionGuards", dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        // Packets (libpcap), HAR files and the recording proxy to recordings.
        .target(
            name: "Capture",
            dependencies: [
                "TrafficModel", "Wire", "CPcap", "ConnectionGuards",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + nio
        ),
        .target(
            name: "MockStaging",
            dependencies: ["TrafficModel", "Wire", "WireNIO", "ConnectionGuards", .product(name: "NIOSSL", package: "swift-nio-ssl")] + nio
        ),
        .target(
            name: "Replay",
            dependencies: ["TrafficModel", "Wire", "WireNIO", .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOTLS", package: "swift-nio")] + nio
        ),
        // Regression fixtures made from recordings (`minimize`, delta debugging over sessions,
        // exchanges and client messages): pure reduction, with replays as the caller's test.
        .target(name: "Fixtures", dependencies: ["TrafficModel"]),
        // The HTML report (`authreplay report`, `replay --html`): recordings and a replay result in, one
        // self-contained page out. Pure, and apart from Replay: it reads the replay's JSON result.
        .target(name: "Report", dependencies: ["TrafficModel"]),
        // Recordings to other tools' formats: HAR 1.2 (Chrome's shape) and k6 scripts. Pure (a
        // recording in, a document or script text out); Replay for its plan and token chaining.
        .target(name: "Export", dependencies: ["TrafficModel", "Replay"]),
        // The example staging service: a small auth service like our users run.
        .target(name: "ExampleStagingService", dependencies: ["TrafficModel"] + nio, path: "Examples/StagingService/Sources"),
        .executableTarget(
            name: "staging-service",
            dependencies: [
                "ExampleStagingService", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Examples/StagingService/Main"
        ),
        // The ceiling for the server benchmarks (scripts/bench): no recording, no matching.
        .executableTarget(name: "bench-ws-server", dependencies: nio, path: "Benchmarks/BareWebSocketServer"),
        // `authreplay demo`: the example service, recorded, served from the mock and replayed, with a
        // scripted client on real client libraries. Only this target imports ExampleStagingService.
        .target(name: "Demo", dependencies: ["ExampleStagingService", "TrafficModel", "Capture", "MockStaging", "Replay"] + nio + [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(
            name: "authreplay",
            dependencies: [
                "TrafficModel", "Capture", "MockStaging", "Replay", "Fixtures", "Report", "Export", "Demo", "ConnectionGuards",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Helpers every test target shares: deadlines, a seeded RNG, a throwaway PKI, server processes.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Fixtures that make captures (synthetic TCP conversations, pcap files), for tests only.
        .target(name: "CaptureTesting", dependencies: ["Capture", "TrafficModel"], path: "Tests/CaptureTesting"),
        .testTarget(
            name: "TrafficModelTests", dependencies: ["TrafficModel", "TestSupport"],
            exclude: ["FuzzRegressions"]  // inputs the fuzzers found, read by path
        ),
        .testTarget(
            name: "CaptureTests", dependencies: ["TestSupport", "CaptureTesting", "Capture", "Wire", "TrafficModel"] + nio + testClients,
            exclude: ["Golden"]  // golden recordings, read by path
        ),
        // Crypto: sealing TLS 1.3 records for the record layer to open.
        .testTarget(name: "WireTests", dependencies: ["TestSupport", "Wire", "TrafficModel", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "FixturesTests", dependencies: ["TestSupport", "Fixtures", "TrafficModel"]),
        .testTarget(name: "MockStagingTests", dependencies: ["TestSupport", "CaptureTesting", "MockStaging", "Capture", "Replay", "Wire", "TrafficModel"] + nio + testClients),
        .testTarget(
            name: "ReplayTests",
            // Crypto: SHA-1 for the Sec-WebSocket-Accept of a hand-rolled test server.
            dependencies: ["TestSupport", "Replay", "MockStaging", "Wire", "TrafficModel", .product(name: "Crypto", package: "swift-crypto")] + nio + testClients
        ),
        .testTarget(
            name: "AuthreplayCLITests",
            // CaptureTesting: synthetic pcaps. JWTKit: minting tokens and a verifying test server, independent of our adapter.
            dependencies: ["TestSupport", "CaptureTesting", "TrafficModel", "Capture", .product(name: "JWTKit", package: "jwt-kit")] + nio
        ),
        // The HTML report: its content unit-tested, and the page loaded in headless Chromium.
        .testTarget(name: "ReportTests", dependencies: ["TestSupport", "Report", "TrafficModel"]),
        // The demo's scripted client against the example service, and the demo's checks.
        .testTarget(name: "DemoTests", dependencies: ["TestSupport", "Demo", "ExampleStagingService", "TrafficModel"] + nio),
        // authreplay against peers on other stacks (Tests/Peers: aiohttp and Node `ws` services, each
        // driven by a client on the other library): capture, serve, replay, transcripts compared.
        .testTarget(name: "DifferentialTests", dependencies: ["TestSupport"]),
        // HAR export round trips through the importer; k6 scripts run by the real k6 against the example service.
        .testTarget(name: "ExportTests", dependencies: ["TestSupport", "Export", "Capture", "Replay", "TrafficModel"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "ExampleStagingService", "Capture", "MockStaging", "Replay", "TrafficModel"] + nio + testClients
        ),
    ]
)

for target in package.targets where target.type == .regular || target.type == .executable {
    target.swiftSettings = (target.swiftSettings ?? []) + strictImports
}
