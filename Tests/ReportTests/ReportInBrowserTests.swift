import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `authreplay report` and `replay --html` pages loaded in headless Chromium:
/// the DOM has the sessions, the AUTH_REQUIRED frame highlighted and each
/// replay difference beside its message; screenshots are taken (and, with
/// AUTHREPLAY_UPDATE_SCREENSHOTS=1, written to docs/ for the README).
final class ReportInBrowserTests: XCTestCase {
    /// Checks a screenshot is a PNG with something drawn, and publishes it to docs/ when asked.
    private func keep(_ png: URL, as name: String) throws {
        let data = try Data(contentsOf: png)
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG")
        XCTAssertGreaterThan(data.count, 20_000, "a drawn page, not a blank one")
        if ProcessInfo.processInfo.environment["AUTHREPLAY_UPDATE_SCREENSHOTS"] == "1" {
            try data.write(to: URL(fileURLWithPath: "\(CLI.repositoryRoot)/docs/\(name)"), options: .atomic)
        }
    }

    func testTheUserContextRegressionInTheBrowser() throws {
        try Chromium.require()
        let dir = try scratchDirectory("authreplay-report")
        let html = dir.appendingPathComponent("report.html")
        let r = try CLI.run(["report", "recordings/user-context-regression.json", "--output", html.path])
        XCTAssertEqual(r.status, 0, r.stderr)

        let dom = try Chromium.dumpDOM(html, scratch: dir)
        XCTAssertTrue(dom.contains("<html lang=\"en\" class=\"js\">"), "the page's inline script ran (allowed by its Content-Security-Policy)")
        XCTAssertTrue(dom.contains("<section class=\"session session-row\" id=\"r0-s0\">"), "session s1 (the login)")
        XCTAssertTrue(dom.contains("<section class=\"session session-row problem\" id=\"r0-s1\">"), "session s2 (the WebSocket), marked as a problem")
        // The AUTH_REQUIRED error frame: its own highlighted row in the server lane.
        let frame = try XCTUnwrap(dom.range(of: "<div class=\"row error\" id=\"r0-s1-m0\">"), "the error frame's row")
        let row = dom[frame.lowerBound...].prefix(1200)
        XCTAssertTrue(row.contains("<div class=\"lane client\"></div><div class=\"lane server\">"), String(row))
        // (The serialized DOM escapes only &, < and > in text.)
        XCTAssertTrue(row.contains("\"error_code\":\"AUTH_REQUIRED\""), String(row))
        XCTAssertTrue(dom.contains("<div class=\"row error\" id=\"r0-s1-m1\">"), "the 1008 close highlighted too")
        XCTAssertTrue(dom.contains("<span class=\"badge bad\">AUTH_REQUIRED</span>"), "the session's badge")
        // The password stays the recording's pseudonym; the JWT keeps its redacted signature.
        XCTAssertTrue(dom.contains("redacted:70813bf53315b00d"))
        XCTAssertFalse(dom.contains("correct-horse-battery"))

        let png = dir.appendingPathComponent("shot.png")
        try Chromium.screenshot(html.absoluteString, to: png, height: 1500, scratch: dir)
        try keep(png, as: "report-user-context-regression.png")
    }

    func testAFailedReplayShowsEachDifferenceBesideItsMessage() async throws {
        try Chromium.require()
        let dir = try scratchDirectory("authreplay-report")
        let service = try await ServerProcess.start("staging-service", ["--port", "0", "--regression", "user-context"])
        defer { Task { _ = try? await service.stop() } }
        let target = try XCTUnwrap(service.baseURL)
        let html = dir.appendingPathComponent("replay.html")
        let result = dir.appendingPathComponent("result.json")
        let replay = try await CLI.runOffThread([
            "replay", "recordings/login-and-websocket.json", "--target", target,
            "--secret", "body:password=correct-horse-battery", "--json", "--html", html.path,
        ])
        XCTAssertEqual(replay.status, 1, "the regression fails the replay: \(replay.stderr)")
        try replay.stdout.write(to: result, atomically: true, encoding: .utf8)

        // The same page from the JSON result, as `report --replay` makes it.
        let fromJSON = dir.appendingPathComponent("report.html")
        let report = try CLI.run(["report", "recordings/login-and-websocket.json", "--replay", result.path, "--output", fromJSON.path])
        XCTAssertEqual(report.status, 0, report.stderr)

        for page in [html, fromJSON] {
            let text = try String(contentsOf: page, encoding: .utf8)
            XCTAssertFalse(text.contains("correct-horse-battery"), "the bound secret never reaches the page")
            let dom = try Chromium.dumpDOM(page, scratch: dir)
            XCTAssertTrue(dom.contains("<strong>2 passed, 1 failed</strong>"), page.lastPathComponent)
            XCTAssertTrue(dom.contains("<span class=\"badge bad\">FAIL</span>"))
            XCTAssertTrue(dom.contains("<section class=\"session session-row failed problem\" id=\"r0-s2\">"), "the WebSocket session failed")
            // Server message 1 (connection_established) is marked, and its difference follows it.
            let row = try XCTUnwrap(dom.range(of: "<div class=\"row differs\" id=\"r0-s2-m0\">"), "the differing message's row")
            let after = dom[row.lowerBound...].prefix(3000)
            XCTAssertTrue(after.contains("connection_established"), String(after))
            XCTAssertTrue(after.contains("<div class=\"diff\"><strong>replay differences</strong>") || after.contains("<div class=\"diff\"><strong>replay difference</strong>"), String(after))
            XCTAssertTrue(after.contains("<td class=\"expected\">expected <code>\"connection_established\"</code></td><td class=\"got\">got <code>\"error_message\"</code></td>"), String(after))
            XCTAssertTrue(dom.contains("<td>close</td><td><code></code></td><td class=\"expected\">expected <code>close 1000 by the client</code></td><td class=\"got\">got <code>close 1008 by the server</code></td>"), "the close difference")
            XCTAssertTrue(dom.contains("<details class=\"body\"><summary>timeline and auth findings</summary>"), "passed sessions folded")
            XCTAssertTrue(dom.contains("How the replay compared"))
        }
        let png = dir.appendingPathComponent("failed.png")
        try Chromium.screenshot(html.absoluteString, to: png, height: 1700, scratch: dir)
        try keep(png, as: "report-failed-replay.png")
    }
}
