import Foundation
import TestSupport
import TrafficModel
import XCTest

final class InspectCommandTests: XCTestCase {
    func testTimelineOfTheShippedSeed() throws {
        let r = try CLI.run(["inspect", "recordings/auth-required.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("→ GET /ws  Authorization: Bearer <JWT alg=HS256 sub=alice"), r.stdout)
        XCTAssertTrue(r.stdout.contains("← text {\"type\":\"error_message\",\"error_code\":\"AUTH_REQUIRED\""), r.stdout)
        XCTAssertTrue(r.stdout.contains("← close 1008 \"auth required\""), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("2 sessions, 2 exchanges, 3 WS messages, 3 errors, 0 anomalies\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no colours when stdout is not a terminal")
    }

    func testJSONSummaryShape() throws {
        let r = try CLI.run(["inspect", "--json", "recordings/auth-required.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONParser.parse(r.stdout)
        XCTAssertEqual(json["format"]?.stringValue, "authreplay/1")
        XCTAssertEqual(json["totals"], .object([("sessions", .int(2)), ("exchanges", .int(2)), ("messages", .int(3)), ("errors", .int(3)), ("anomalies", .int(0))]))
        let ws = try XCTUnwrap(json["sessions"]?.arrayValue?[1])
        XCTAssertEqual(ws["id"]?.stringValue, "s2")
        XCTAssertEqual(ws["exchanges"], .array([.object([("method", .string("GET")), ("target", .string("/ws")), ("status", .int(101))])]))
        XCTAssertEqual(ws["websocket"]?["close"], .object([("code", .int(1008)), ("by", .string("server"))]))
        XCTAssertEqual(ws["websocket"]?["messages"]?.arrayValue?.first, .object([("direction", .string("server")), ("opcode", .string("text")), ("length", .int(298))]))
        let auth = try XCTUnwrap(ws["auth"]?.arrayValue?.first)
        XCTAssertEqual(auth["location"]?.stringValue, "header:Authorization")
        XCTAssertEqual(auth["scheme"]?.stringValue, "bearer")
        XCTAssertEqual(auth["jwt"]?["claims"]?["sub"]?.stringValue, "alice")
        XCTAssertEqual(ws["anomalies"], .array([]))
    }

    func testInvalidRecordingsExitOneWithOneLine() throws {
        let dir = try scratchDirectory("authreplay-cli")
        let cases: [(String, String, String)] = [
            ("bad-json.json", "{\"format\": ", "invalid JSON at 1:12"),
            ("wrong-version.json", #"{"format":"authreplay/7","sessions":[]}"#, "unsupported format at $.format: version 7 is not supported"),
            ("missing-field.json", #"{"format":"authreplay/1","source":{"kind":"live","name":"lo","tool":"t"},"capturedAt":"2026-01-01T00:00:00Z"}"#, "missing field at $.sessions"),
        ]
        for (name, content, expected) in cases {
            let path = dir.appendingPathComponent(name).path
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CLI.run(["inspect", path])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(path), r.stderr)
        }
        let missing = try CLI.run(["inspect", dir.appendingPathComponent("nope.json").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cannot read"), missing.stderr)
    }

    func testUsageErrorsExitTwo() throws {
        XCTAssertEqual(try CLI.run(["inspect"]).status, 2)
        XCTAssertEqual(try CLI.run(["inspect", "--no-such-flag", "x"]).status, 2)
        XCTAssertEqual(try CLI.run(["no-such-command"]).status, 2)
        let version = try CLI.run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)
    }
}
