import Foundation
import TestSupport
import XCTest

/// `authreplay report`'s errors: one line naming the file, exit 1, nothing written.
final class ReportCommandTests: XCTestCase {
    func testABadReplayResultIsOneLineAndWritesNothing() throws {
        let dir = try scratchDirectory("authreplay-report-cli")
        let output = dir.appendingPathComponent("report.html").path
        let cases: [(String, String)] = [
            ("{\"passed\": ", "invalid JSON"),
            ("{\"sessions\": []}", "not a replay result (`authreplay replay --json`): passed, failed and sessions are required"),
        ]
        for (content, message) in cases {
            let result = dir.appendingPathComponent("result.json")
            try content.write(to: result, atomically: true, encoding: .utf8)
            let r = try CLI.run(["report", "recordings/auth-required.json", "--replay", result.path, "--output", output])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("error: \(result.path): "), r.stderr)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
        let missing = try CLI.run(["report", "recordings/auth-required.json", "--replay", dir.appendingPathComponent("none.json").path, "--output", output])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cannot read the file"), missing.stderr)
        let noOutput = try CLI.run(["report", "recordings/auth-required.json"])
        XCTAssertEqual(noOutput.status, 2, "--output is required")
    }
}
