import Foundation
import TestSupport
import TrafficModel
import XCTest

final class DemoCommandTests: XCTestCase {
    func testDemoRunsEveryStepAndWritesALintCleanRecording() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }

        let r = try CLI.run(["demo", "--output-dir", dir.path], timeout: 60)
        XCTAssertEqual(r.status, 0, "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr)")
        for heading in [
            "1. Starting the example staging service",
            "2. Recording a client session",
            "3. Redacting the recording and writing it",
            "4. Serving the recording from the mock and running the same client against it",
            "5. Replaying the recording against the service with the user-context regression",
            "6. Replaying the recording against the healthy service",
            "Every step behaved as expected.",
        ] {
            XCTAssertTrue(r.stdout.contains(heading), "missing \(heading):\n\(r.stdout)")
        }
        // As root (CI) the session is captured live on lo; otherwise it goes through the proxy.
        XCTAssertTrue(r.stdout.contains(getuid() == 0 ? "recording with live capture on lo" : "recording through the proxy"), r.stdout)
        // The inspect timeline of the recording: the refused WebSocket's error frame and close.
        XCTAssertTrue(r.stdout.contains(#"← text {"type":"error_message","error_code":"AUTH_REQUIRED""#), r.stdout)
        XCTAssertTrue(r.stdout.contains("← close 1008"), r.stdout)
        // The regression diff, then the healthy replay.
        XCTAssertTrue(r.stdout.contains("FAIL "), r.stdout)
        XCTAssertTrue(r.stdout.contains("$.type"), r.stdout)
        XCTAssertTrue(r.stdout.contains("AUTH_REQUIRED"), r.stdout)
        XCTAssertTrue(r.stdout.contains("4 passed, 0 failed"), r.stdout)
        XCTAssertTrue(r.stdout.contains("authreplay serve \(dir.path)/recording.json --port 0"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no colours when stdout is not a terminal")

        let recording = dir.appendingPathComponent("recording.json").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: recording))
        let decoded = try RecordingCodec.decode(try XCTUnwrap(FileManager.default.contents(atPath: recording)))
        XCTAssertEqual(decoded.sessions.count, 4)
        XCTAssertEqual(decoded.redaction?.enabled, true)
        let lint = try CLI.run(["lint", recording])
        XCTAssertEqual(lint.status, 0, lint.stdout + lint.stderr)
    }

    func testDemoRejectsANonPositiveTimeout() throws {
        let r = try CLI.run(["demo", "--timeout", "0"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("--timeout"), r.stderr)
    }
}
