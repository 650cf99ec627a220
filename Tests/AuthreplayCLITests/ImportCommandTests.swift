import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `authreplay import` as a user runs it, on captures the test writes itself
/// (classic pcap, built byte by byte) and on the public corpus when present.
final class ImportCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func testImportsAPublicWebSocketCapture() throws {
        let capture = try Corpus.requireCapture("zeek_ws_fragmented-http-reply.pcap")
        let r = try CLI.run(["import", capture, "--output", path("out.json"), "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONParser.parse(r.stdout)
        XCTAssertEqual(summary["sessions"]?.intValue, 1)
        XCTAssertEqual(summary["messages"]?.intValue, 6)
        XCTAssertEqual(summary["complete"], .bool(true))
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("out.json"))))
        XCTAssertEqual(recording.source.kind, .pcapFile)
        XCTAssertEqual(recording.sessions[0].websocket?.subprotocol, "v1")
        // Text mode prints a readable summary.
        let text = try CLI.run(["import", capture, "--output", path("out2.json")])
        XCTAssertTrue(text.stdout.contains("1 sessions, 1 HTTP exchanges, 6 WebSocket messages"), text.stdout)
    }

    func testTruncatedCaptureWritesWhatCameBeforeAndExitsThree() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try Corpus.requireCapture("susam_wsapp.pcap")))
        // Cut inside packet 26: both connections are still open there.
        try bytes.prefix(bytes.count - 700).write(to: URL(fileURLWithPath: path("cut.pcap")))
        let r = try CLI.run(["import", path("cut.pcap"), "--output", path("cut.json")])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.contains("truncated"), r.stderr)
        XCTAssertTrue(r.stderr.contains("cut.pcap"), r.stderr)
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("cut.json"))))
        XCTAssertEqual(recording.sessions.count, 2)
        XCTAssertTrue(recording.sessions.allSatisfy { $0.anomalies.contains { $0.kind == .truncated } && $0.end?.kind == .cut })
        XCTAssertEqual(recording.sessions.compactMap { $0.websocket?.messages.count }, [6], "every message before the cut is kept")
        XCTAssertTrue(r.stderr.contains("packet 26"), r.stderr)
    }

    func testBadInputsGiveOneLineAndExitOne() throws {
        try "not a capture at all".write(toFile: path("text.pcap"), atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: path("empty.pcap"), contents: Data())
        for (file, expected) in [("text.pcap", "not a pcap or pcapng file"), ("empty.pcap", "empty"), ("missing.pcap", "missing.pcap")] {
            let r = try CLI.run(["import", path(file), "--output", path("x.json")])
            XCTAssertEqual(r.status, 1, "\(file): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.lowercased().contains(expected), "\(file): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.json")), "nothing is written for \(file)")
        }
        let badFilter = try CLI.run(["import", "\(CLI.repositoryRoot)/recordings/auth-required.json", "--output", path("x.json"), "--filter", "tcp port"])
        XCTAssertEqual(badFilter.status, 1)
        XCTAssertEqual(try CLI.run(["import", path("text.pcap")]).status, 2, "--output is required")
    }

    func testAnExistingRecordingIsOnlyReplacedByACompleteOne() throws {
        let capture = try Corpus.requireCapture("arkime_websocket.pcap")
        try "previous".write(toFile: path("rec.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["import", path("nope.pcap"), "--output", path("rec.json")]).status, 1)
        XCTAssertEqual(try String(contentsOfFile: path("rec.json"), encoding: .utf8), "previous")
        XCTAssertEqual(try CLI.run(["import", capture, "--output", path("rec.json")]).status, 0)
        XCTAssertNoThrow(try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("rec.json")))))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        XCTAssertEqual(leftovers, [])
    }

    func testRecordingsAreRedactedUnlessAskedNotTo() throws {
        let capture = try Corpus.requireCapture("suricata_jwt-authz-noscheme.pcap")
        XCTAssertEqual(try CLI.run(["import", capture, "--output", path("redacted.json")]).status, 0)
        XCTAssertEqual(try CLI.run(["import", capture, "--output", path("raw.json"), "--no-redact"]).status, 0)
        let raw = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("raw.json"))))
        let token = try XCTUnwrap(raw.sessions.first?.exchanges.first?.request.headers.first("Authorization"))
        let signature = String(token.split(separator: ".").last!)
        let redactedText = try String(contentsOfFile: path("redacted.json"), encoding: .utf8)
        XCTAssertFalse(redactedText.contains(signature), "the JWT's signature must not reach the disk")
        XCTAssertTrue(redactedText.contains(String(token.split(separator: ".")[1])), "its claims stay readable")
        let redacted = try RecordingCodec.decode(Array(redactedText.utf8))
        XCTAssertEqual(redacted.redaction?.enabled, true)
        XCTAssertEqual(redacted.sessions.first?.auth.first?.jwt?.signature, .redacted)
        XCTAssertEqual(raw.redaction?.enabled, false)
        XCTAssertEqual(try CLI.run(["lint", path("redacted.json")]).status, 0)
        XCTAssertEqual(try CLI.run(["lint", path("raw.json")]).status, 1)
    }

    // MARK: HAR

    /// A Chrome-style export the test writes: a login issuing a JWT, then a
    /// WebSocket presenting it in Sec-WebSocket-Protocol, told AUTH_REQUIRED.
    static let har = """
    \u{FEFF}{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [
      {"startedDateTime": "2026-11-25T06:00:00.000Z", "time": 10, "connection": "1",
       "request": {"method": "POST", "url": "http://staging.test:8000/login", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Host", "value": "staging.test:8000"}], "postData": {"mimeType": "application/json", "text": "{}"}},
       "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
         "content": {"size": 90, "text": "{\\"access_token\\":\\"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl\\"}"}}},
      {"startedDateTime": "2026-11-25T06:00:01.000Z", "time": 5, "connection": "2",
       "request": {"method": "GET", "url": "ws://staging.test:8000/ws", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Host", "value": "staging.test:8000"}, {"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"},
                     {"name": "Sec-WebSocket-Protocol", "value": "chat, eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"}]},
       "response": {"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"}, {"name": "Sec-WebSocket-Protocol", "value": "chat"}],
         "content": {"size": 0}},
       "_webSocketMessages": [{"type": "send", "time": 1795586401.5, "opcode": 1, "data": "hello"},
                              {"type": "receive", "time": 1795586401.6, "opcode": 1, "data": "{\\"error_message\\":\\"AUTH_REQUIRED\\"}"}]}
    ]}}
    """

    func testImportsAHARExportDetectedByContent() throws {
        // The extension says nothing: the content does.
        try Self.har.write(toFile: path("export.txt"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["import", path("export.txt"), "--output", path("har.json"), "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONParser.parse(r.stdout)
        XCTAssertEqual(summary["format"], .string("har"))
        XCTAssertEqual(summary["complete"], .bool(true))
        XCTAssertEqual(summary["sessions"]?.intValue, 2)
        XCTAssertEqual(summary["exchanges"]?.intValue, 2)
        XCTAssertEqual(summary["messages"]?.intValue, 2)
        XCTAssertEqual(summary["entries"]?.intValue, 2)
        let text = try String(contentsOfFile: path("har.json"), encoding: .utf8)
        XCTAssertFalse(text.contains("c2lnbmF0dXJl"), "redacted by default: the JWT signature is not on disk")
        let recording = try RecordingCodec.decode(Array(text.utf8))
        XCTAssertEqual(recording.source.kind, .har)
        XCTAssertEqual(recording.redaction?.enabled, true)
        let ws = recording.sessions[1]
        XCTAssertEqual(ws.websocket?.messages.map(\.direction), [.client, .server])
        XCTAssertEqual(ws.websocket?.messages.last?.payload.text, "{\"error_message\":\"AUTH_REQUIRED\"}")
        let presented = try XCTUnwrap(ws.auth.first { $0.location == "header:Sec-WebSocket-Protocol" })
        XCTAssertEqual(presented.issuedBy?.session, "s1")
        XCTAssertEqual(presented.jwt?.signature, .redacted)

        let plain = try CLI.run(["import", path("export.txt"), "--output", path("har2.json")])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("2 sessions, 2 HTTP exchanges, 2 WebSocket messages, 0 anomalies"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("read 2 HAR entries"), plain.stdout)
    }

    func testBadHARFilesGiveOneLineErrorsOrExitThree() throws {
        try "{\"log\":\n[\n  2,1,3\n]\n\"request:\"}".write(toFile: path("broken.har"), atomically: true, encoding: .utf8)
        try "{\"sessions\": []}".write(toFile: path("other.har"), atomically: true, encoding: .utf8)
        try "{\"log\": {\"entries\": []}}".write(toFile: path("empty.har"), atomically: true, encoding: .utf8)
        for (file, expected, extra) in [
            ("broken.har", "line 5, column 1", [String]()), ("other.har", "not a har file", []),
            ("empty.har", "over the 1 mib har limit", ["--max-har-mib", "1"]),
        ] {
            if file == "empty.har" { try ("{\"log\": {\"entries\": []" + String(repeating: " ", count: 2 << 20) + "}}").write(toFile: path(file), atomically: true, encoding: .utf8) }
            let r = try CLI.run(["import", path(file), "--output", path("x.json")] + extra)
            XCTAssertEqual(r.status, 1, "\(file): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.lowercased().contains(expected), "\(file): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.json")), "nothing is written for \(file)")
        }
        let directory = try CLI.run(["import", dir.path, "--output", path("x.json")])
        XCTAssertEqual(directory.status, 1, "a directory is refused, not a crash: \(directory.stderr)")
        XCTAssertEqual(directory.stderr.split(separator: "\n").count, 1, directory.stderr)
        // An entry without its request: kept as an anomaly, the rest written, exit 3.
        let damaged = Self.har.replacingOccurrences(of: "\"entries\": [", with: "\"entries\": [{\"startedDateTime\": \"2026-11-25T06:00:00Z\"}, ")
        try damaged.write(toFile: path("damaged.har"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["import", path("damaged.har"), "--output", path("d.json"), "--json"])
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertEqual(try JSONParser.parse(r.stdout)["invalidEntries"]?.intValue, 1)
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("d.json"))))
        XCTAssertEqual(recording.sessions.count, 3)
        XCTAssertEqual(recording.sessions.flatMap(\.anomalies).map(\.kind), [.malformedHTTP])
    }

    func testImportsThePublicHARExports() throws {
        let har = try Corpus.requireCapture("mitmproxy_websocket.har")
        let r = try CLI.run(["import", har, "--output", path("ws.json"), "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONParser.parse(r.stdout)
        XCTAssertEqual(summary["sessions"]?.intValue, 3)
        XCTAssertEqual(summary["messages"]?.intValue, 5)
    }
}
