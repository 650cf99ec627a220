import Foundation
import TestSupport
import XCTest

/// `authreplay export har` and `export k6` as a user runs them.
final class ExportCommandTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func testHARExportImportsBack() throws {
        let dir = try temporaryDirectory()
        let har = dir.appendingPathComponent("regression.har").path
        let export = try CLI.run(["export", "har", "recordings/user-context-regression.json", "--output", har])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stderr.contains("2 entries, 3 WebSocket messages"), export.stderr)
        let back = dir.appendingPathComponent("back.json").path
        let imported = try CLI.run(["import", har, "--output", back])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let inspect = try CLI.run(["inspect", back])
        XCTAssertTrue(inspect.stdout.contains("AUTH_REQUIRED"), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("close 1008 \"auth required\""), inspect.stdout)
        // Redacted as the recording is.
        XCTAssertTrue(try String(contentsOfFile: har, encoding: .utf8).contains("redacted:70813bf53315b00d"))
    }

    func testK6RefusesALiteralSecret() throws {
        let dir = try temporaryDirectory()
        let result = try CLI.run([
            "export", "k6", "recordings/login-and-websocket.json", "--output", dir.appendingPathComponent("x.js").path,
            "--secret", "body:password=correct-horse-battery",
        ])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("give env:NAME, not the value"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.js").path))
    }

    func testK6NeedsTheValueToFindItsPseudonym() throws {
        let dir = try temporaryDirectory()
        let result = try CLI.run(
            ["export", "k6", "recordings/login-and-websocket.json", "--output", dir.appendingPathComponent("x.js").path, "--secret", "body:password=env:NOT_SET_ANYWHERE"],
            environment: ["NOT_SET_ANYWHERE": ""].filter { _ in false }
        )
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("set $NOT_SET_ANYWHERE while exporting too"), result.stderr)
    }
}
