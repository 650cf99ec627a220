import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `authreplay minimize` on the shipped user-context regression mixed with
/// unrelated sessions, against the mock and against the real example service.
final class MinimizeCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-minimize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func shipped(_ name: String) throws -> Recording {
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: CLI.repositoryRoot + "/recordings/" + name))
        return try RecordingCodec.decode(Array(bytes))
    }

    /// The happy path's sessions (ids prefixed `h`) before the regression's own two.
    func mixed() throws -> String {
        var regression = try shipped("user-context-regression.json")
        let happy = try shipped("login-and-websocket.json")
        let shift = happy.capturedAt.seconds - regression.capturedAt.seconds
        let others = happy.sessions.map { session in
            var s = session
            s.id = "h" + s.id
            s.start += shift
            s.auth = s.auth.map { f in
                var f = f
                if let issuer = f.issuedBy?.session { f.issuedBy?.session = "h" + issuer }
                return f
            }
            return s
        }
        regression.sessions = others + regression.sessions
        let path = dir.appendingPathComponent("mixed.json").path
        try Data(RecordingCodec.encodeBytes(regression)).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testMockReducesToTheOneSessionThatReproducesAuthRequired() throws {
        let input = try mixed()
        let output = dir.appendingPathComponent("min.json").path
        let r = try CLI.run(["minimize", input, "--mock", "--until", "error_code=AUTH_REQUIRED", "--output", output, "--timeout", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let reduced = try RecordingCodec.decode(Array(try XCTUnwrap(FileManager.default.contents(atPath: output))))
        XCTAssertEqual(reduced.sessions.map(\.id), ["s2"])
        XCTAssertEqual(reduced.sessions[0].exchanges.count, 1)
        XCTAssertTrue(reduced.sessions[0].websocket?.messages.contains { $0.payload.text?.contains("AUTH_REQUIRED") == true } == true)
        XCTAssertEqual(reduced.redaction, try shipped("user-context-regression.json").redaction, "written redacted, as the input was")
        XCTAssertTrue(r.stdout.contains("1 session, 1 exchange"), r.stdout)
        let runs = try XCTUnwrap(r.stdout.split(separator: ";").last.flatMap { $0.split(separator: " ").first }.flatMap { Int($0) }, r.stdout)
        XCTAssertLessThanOrEqual(runs, 30, "bounded: \(r.stdout)")

        // The result still reproduces on its own: served and replayed, the error frame comes back.
        let again = try CLI.run(["minimize", output, "--mock", "--until", "error_code=AUTH_REQUIRED", "--output", output + ".2", "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let summary = try JSONParser.parse(again.stdout)
        XCTAssertEqual(summary["sessions"], .array([.string("s2")]))
    }

    /// Against the real service: the regression build reproduces, and the
    /// smallest recording is one WebSocket session; the healthy build does not.
    func testTargetTheRealServiceHealthyAndRegressed() async throws {
        let input = try mixed()
        let regressed = try await ServerProcess.start("staging-service", ["--port", "0", "--regression", "user-context"])
        let output = dir.appendingPathComponent("min.json").path
        let target = try XCTUnwrap(regressed.baseURL)
        let r = try await CLI.runOffThread([
            "minimize", input, "--target", target, "--until", "error_code=AUTH_REQUIRED", "--until", "close=1008",
            "--secret", "body:password=correct-horse-battery", "--output", output, "--timeout", "2",
        ])
        _ = try await regressed.stop()
        XCTAssertEqual(r.status, 0, r.stderr)
        let reduced = try RecordingCodec.decode(Array(try XCTUnwrap(FileManager.default.contents(atPath: output))))
        XCTAssertEqual(reduced.sessions.count, 1, r.stdout)
        XCTAssertNotNil(reduced.sessions[0].websocket)
        XCTAssertFalse(String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: output)), as: UTF8.self).contains("correct-horse-battery"), "bound secrets never reach the file")

        let healthy = try await ServerProcess.start("staging-service", ["--port", "0"])
        let h = try await CLI.runOffThread([
            "minimize", input, "--target", try XCTUnwrap(healthy.baseURL), "--until", "error_code=AUTH_REQUIRED",
            "--secret", "body:password=correct-horse-battery", "--output", output + ".healthy", "--timeout", "2",
        ])
        _ = try await healthy.stop()
        XCTAssertEqual(h.status, 1, h.stdout + h.stderr)
        XCTAssertTrue(h.stderr.contains("does not reproduce"), h.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + ".healthy"))
    }

    func testUsageErrors() throws {
        let none = try CLI.run(["minimize", "recordings/auth-required.json", "--until", "status=401", "--output", "/dev/null"])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("exactly one of --target URL and --mock"), none.stderr)
        let bad = try CLI.run(["minimize", "recordings/auth-required.json", "--mock", "--until", "status", "--output", "/dev/null"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("is not KEY=VALUE"), bad.stderr)
    }
}
