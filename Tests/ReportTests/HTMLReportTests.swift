import Foundation
import Report
import TestSupport
import TrafficModel
import XCTest

/// The page as a string: escaping, redaction, no network, differences placed.
final class HTMLReportTests: XCTestCase {
    private func shipped(_ name: String) throws -> Recording {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Corpus.packageRoot)/recordings/\(name)"))
        return try RecordingCodec.decode(data)
    }

    /// A recording whose server answers with markup and script in every place a value can go.
    private func hostile() -> Recording {
        let evil = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
        let request = HTTPRequest(at: 0.001, method: "GET", target: "/ws?q=\(evil)", version: "HTTP/1.1", headers: [HeaderField("X-Evil", evil)], body: nil, framing: .none, trailers: [])
        let response = HTTPResponse(at: 0.002, version: "HTTP/1.1", status: 101, reason: evil, headers: [HeaderField("Upgrade", "websocket")], body: nil, framing: .none, trailers: [], interim: [])
        let ws = WebSocketSession(messages: [
            WebSocketMessage(direction: .server, at: 0.003, opcode: .text, payload: .text("{\"type\":\"error_message\",\"error_code\":\"\(evil)\"}")),
            WebSocketMessage(direction: .server, at: 0.004, opcode: .close, payload: .text(evil), closeCode: 1008),
        ])
        let session = Session(
            id: evil, client: Endpoint(host: "127.0.0.1", port: 1), server: Endpoint(host: "127.0.0.1", port: 2), start: 0,
            exchanges: [HTTPExchange(request: request, response: response)], websocket: ws,
            anomalies: [Anomaly(kind: .protocolViolation, direction: .server, at: 0.0035, detail: evil, data: .text(evil))]
        )
        return Recording(source: Source(kind: .har, name: evil, tool: "test"), capturedAt: Timestamp(microseconds: 0), sessions: [session])
    }

    func testRecordedMarkupIsEscapedEverywhere() throws {
        let outcome = try ReplayOutcome(json: JSONParser.parse("""
        {"passed":0,"failed":1,"sessions":[{"name":"x","session":"<script>alert('x')</script>\\"><img src=x onerror=alert(1)>","recording":"evil.json","verdict":"failed",
          "differences":["server message 1: $.type expected \\"<b>a</b>\\", got \\"<script>alert(2)</script>\\""],"notes":["<i>n</i>"]}]}
        """))
        let html = HTMLReport.render(recordings: [("evil.json", hostile())], replay: outcome)
        XCTAssertEqual(html.components(separatedBy: "<script>").count, 2, "one script element: the report's own")
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("alert(1)>"))
        XCTAssertFalse(html.contains("<b>a</b>"))
        XCTAssertFalse(html.contains("<i>n</i>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        XCTAssertTrue(html.contains("expected <code>&quot;&lt;b&gt;a&lt;/b&gt;&quot;</code>"), "the difference is placed and escaped")
    }

    func testNothingIsFetched() throws {
        let html = HTMLReport.render(recordings: [("user-context-regression.json", try shipped("user-context-regression.json"))])
        XCTAssertTrue(html.contains("Content-Security-Policy\" content=\"default-src 'none';"))
        for external in ["<link", " src=", "url(", "@import", "http://", "https://"] {
            XCTAssertFalse(html.contains(external), "no external asset: \(external)")
        }
    }

    func testRedactedValuesStayRedacted() throws {
        let recording = try shipped("login-and-websocket.json")
        let html = HTMLReport.render(recordings: [("login-and-websocket.json", recording)])
        XCTAssertTrue(html.contains("redacted:70813bf53315b00d"), "the password's pseudonym, as recorded")
        XCTAssertTrue(html.contains("sig=redacted"))
        // Every JWT on the page (three base64url parts) keeps its redacted signature.
        let jwt = try NSRegularExpression(pattern: "eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.([A-Za-z0-9_-]+)")
        let matches = jwt.matches(in: html, range: NSRange(html.startIndex..., in: html))
        XCTAssertFalse(matches.isEmpty)
        for match in matches {
            let signature = String(html[Range(match.range(at: 1), in: html)!])
            XCTAssertTrue(signature.hasPrefix("REDACTED"), signature)
        }
    }

    func testBoundSecretsAreScrubbedFromDifferences() throws {
        let outcome = try ReplayOutcome(json: JSONParser.parse("""
        {"passed":0,"failed":1,"sessions":[{"session":"s1","recording":"r.json","verdict":"failed","differences":["exchange 1 (POST /auth/token): $.echo expected \\"redacted:1\\", got \\"hunter2-hunter2\\""],"notes":["hunter2-hunter2"]}]}
        """)).scrubbing(["hunter2-hunter2"])
        XCTAssertEqual(outcome.results[0].differences, ["exchange 1 (POST /auth/token): $.echo expected \"redacted:1\", got \"redacted\""])
        XCTAssertEqual(outcome.results[0].notes, ["redacted"])
    }

    func testDifferencesAnchorToTheirStep() throws {
        let recording = try shipped("login-and-websocket.json")
        let ws = try XCTUnwrap(recording.sessions.first { $0.id == "s3" })
        XCTAssertEqual(DifferenceAnchor.of("server message 1: $.type expected \"a\", got \"b\"", in: ws), .serverMessage(0))
        XCTAssertEqual(DifferenceAnchor.of("server message 5: expected text …, got nothing", in: ws), .serverMessage(4))
        XCTAssertEqual(DifferenceAnchor.of("server message 6: unexpected text …", in: ws), .close)
        XCTAssertEqual(DifferenceAnchor.of("close: expected close 1000 by the client, got close 1008 by the server", in: ws), .close)
        XCTAssertEqual(DifferenceAnchor.of("handshake (GET /ws): status expected 101, got 401", in: ws), .response(exchange: 0))
        XCTAssertEqual(DifferenceAnchor.of("exchange 1 (GET /ws): status expected 101, got 401", in: ws), .response(exchange: 0))
        XCTAssertEqual(DifferenceAnchor.of("exchange 9 (GET /x): …", in: ws), .session)
        XCTAssertEqual(DifferenceAnchor.of("websocket: the target closed", in: ws), .session)
    }

    func testAReplayResultThatIsNotOneIsRefused() throws {
        XCTAssertThrowsError(try ReplayOutcome(json: JSONParser.parse("[]"), file: "x.json")) { error in
            XCTAssertEqual(error as? ReportError, ReportError(.invalidReplayResult, ""))
            XCTAssertTrue("\(error)".hasPrefix("x.json: not a replay result"), "\(error)")
        }
        XCTAssertThrowsError(try ReplayOutcome(json: JSONParser.parse("{\"passed\":1,\"failed\":0,\"sessions\":[{\"session\":\"s1\"}]}")))
    }

    func testTheSameInputGivesTheSameBytes() throws {
        let recording = try shipped("user-context-regression.json")
        XCTAssertEqual(HTMLReport.render(recordings: [("a", recording)]), HTMLReport.render(recordings: [("a", recording)]))
    }
}
