import TrafficModel
import XCTest
@testable import Capture

/// HAR documents written here, one concern each: Chrome's WebSocket format,
/// HTTP/2 exports, failed and unusable entries, connection grouping, errors.
final class HARImporterTests: XCTestCase {
    // A JWT {"alg":"HS256"}.{"sub":"ada","exp":1795590000} (signature not checked).
    static let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEiLCJleHAiOjE3OTU1OTAwMDB9.c2lnbmF0dXJl"

    func importHAR(_ text: String, limits: HARImporter.Limits = .default) throws -> HARImport {
        let result = try HARImporter(limits: limits).importHAR(Array(text.utf8), name: "test.har")
        // What is written must read back identically.
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(result.recording)), result.recording)
        return result
    }

    /// Chrome DevTools: a login on one connection issues a JWT, the WebSocket
    /// on another presents it in Sec-WebSocket-Protocol and is told AUTH_REQUIRED.
    static let chromeWebSocket = """
    {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [
      {"startedDateTime": "2026-11-25T06:00:01.000Z", "time": 20, "connection": "7", "serverIPAddress": "10.0.0.5",
       "request": {"method": "GET", "url": "ws://staging.test:8000/ws?room=1", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Host", "value": "staging.test:8000"}, {"name": "Upgrade", "value": "websocket"},
                     {"name": "Connection", "value": "Upgrade"}, {"name": "Sec-WebSocket-Protocol", "value": "chat, \(jwt)"}],
         "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0},
       "response": {"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Upgrade", "value": "websocket"}, {"name": "Connection", "value": "Upgrade"},
                     {"name": "Sec-WebSocket-Protocol", "value": "chat"}],
         "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
       "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": 20, "receive": 0},
       "_resourceType": "websocket",
       "_webSocketMessages": [
         {"type": "send", "time": 1795586401.25, "opcode": 1, "data": "{\\"op\\":\\"subscribe\\",\\"channel\\":\\"orders\\"}"},
         {"type": "receive", "time": 1795586401.5, "opcode": 1, "data": "{\\"type\\":\\"error\\",\\"error_message\\":\\"AUTH_REQUIRED\\"}"},
         {"type": "receive", "time": 1795586401.75, "opcode": 2, "data": "AAEC/w=="}
       ]},
      {"startedDateTime": "2026-11-25T06:00:00.000Z", "time": 10, "connection": "6", "serverIPAddress": "10.0.0.5",
       "request": {"method": "POST", "url": "http://staging.test:8000/login", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Host", "value": "staging.test:8000"}, {"name": "Content-Type", "value": "application/json"}],
         "postData": {"mimeType": "application/json", "text": "{\\"user\\":\\"ada\\"}"}},
       "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
         "headers": [{"name": "Content-Type", "value": "application/json"}],
         "content": {"size": 20, "mimeType": "application/json", "text": "{\\"access_token\\":\\"\(jwt)\\"}"}},
       "timings": {"blocked": 1, "dns": 0, "connect": 2, "send": 1, "wait": 5, "receive": 1}}
    ]}}
    """

    func testChromeWebSocketMessagesFindingsAndIssuedTokenLinking() throws {
        let result = try importHAR(Self.chromeWebSocket)
        let r = result.recording
        XCTAssertEqual(r.source.kind, .har)
        XCTAssertEqual(r.capturedAt, Timestamp(iso8601: "2026-11-25T06:00:00.000000Z"))
        XCTAssertEqual(r.sessions.map(\.id), ["s1", "s2"], "ordered by start, not by entry order")
        let login = r.sessions[0], ws = r.sessions[1]
        XCTAssertEqual(login.server, Endpoint(host: "10.0.0.5", port: 8000))
        XCTAssertEqual(login.client, HARImporter.unknownClient)
        XCTAssertEqual(login.exchanges[0].request.at, 0.004, accuracy: 1e-9, "blocked + dns + connect + send")
        XCTAssertEqual(login.exchanges[0].response?.at ?? -1, 0.010, accuracy: 1e-9, "the entry's time")
        XCTAssertEqual(login.exchanges[0].request.body, .text("{\"user\":\"ada\"}"))
        XCTAssertEqual(login.auth.map(\.role), [.issued])

        XCTAssertEqual(ws.start, 1.0, accuracy: 1e-9)
        XCTAssertEqual(ws.exchanges[0].request.target, "/ws?room=1")
        XCTAssertTrue(ws.exchanges[0].isWebSocketUpgrade)
        let socket = try XCTUnwrap(ws.websocket)
        XCTAssertEqual(socket.subprotocol, "chat")
        XCTAssertEqual(socket.messages.map(\.direction), [.client, .server, .server])
        XCTAssertEqual(socket.messages.map(\.opcode), [.text, .text, .binary])
        XCTAssertEqual(socket.messages.map(\.at), [1.25, 1.5, 1.75])
        XCTAssertEqual(socket.messages[1].payload.text, "{\"type\":\"error\",\"error_message\":\"AUTH_REQUIRED\"}")
        XCTAssertEqual(socket.messages[2].payload.bytes, [0, 1, 2, 255])
        XCTAssertEqual(ws.end, SessionEnd(kind: .cut, at: 1.75, by: nil), "no close in the HAR: the end was not seen")

        let presented = try XCTUnwrap(ws.auth.first { $0.location == "header:Sec-WebSocket-Protocol" })
        XCTAssertEqual(presented.role, .presented)
        XCTAssertEqual(presented.jwt?.claims["sub"], .string("ada"))
        XCTAssertEqual(presented.jwt?.expiresIn ?? 0, 3599, accuracy: 0.01, "judged at the moment of use")
        XCTAssertEqual(presented.issuedBy, IssuedReference(session: "s1", exchange: 0, location: "body:$.access_token"))
        XCTAssertEqual(result.statistics, {
            var s = HARImport.Statistics()
            s.bytes = Self.chromeWebSocket.utf8.count
            s.entries = 2; s.sessions = 2; s.exchanges = 2; s.messages = 3
            s.creator = "WebInspector 537.36"
            return s
        }())
    }

    func testCloseFramesInBothDirectionsEndTheSessionClosed() throws {
        let text = Self.chromeWebSocket.replacingOccurrences(
            of: "{\"type\": \"receive\", \"time\": 1795586401.75, \"opcode\": 2, \"data\": \"AAEC/w==\"}",
            with: "{\"type\": \"send\", \"time\": 1795586401.75, \"opcode\": 8, \"data\": \"bye\"}, {\"type\": \"receive\", \"time\": 1795586401.8, \"opcode\": 8, \"data\": \"\"}"
        )
        let ws = try importHAR(text).recording.sessions[1]
        XCTAssertEqual(ws.websocket?.messages.map(\.opcode), [.text, .text, .close, .close])
        XCTAssertEqual(ws.websocket?.close?.frame.closeReason, "bye")
        XCTAssertEqual(ws.end?.kind, .closed)
        XCTAssertEqual(ws.end?.by, .client)
    }

    func testUnreadableWebSocketMessagesAreKeptAsAnomalies() throws {
        let text = Self.chromeWebSocket.replacingOccurrences(
            of: "{\"type\": \"receive\", \"time\": 1795586401.75, \"opcode\": 2, \"data\": \"AAEC/w==\"}",
            with: "{\"type\": \"receive\", \"time\": -1e10, \"opcode\": 1, \"data\": \"x\"}, {\"type\": \"up\", \"time\": 1795586401.8, \"opcode\": 1}, {\"type\": \"send\", \"time\": 1795586401.9, \"opcode\": 2, \"data\": \"%%\"}, {\"type\": \"send\", \"time\": 1795586401.9, \"opcode\": 3}"
        )
        let ws = try importHAR(text).recording.sessions[1]
        XCTAssertEqual(ws.websocket?.messages.count, 2)
        XCTAssertEqual(ws.anomalies.map(\.kind), Array(repeating: .malformedWebSocket, count: 4))
        XCTAssertTrue(ws.anomalies.allSatisfy { $0.data != nil && $0.detail.hasPrefix("exchange 0: _webSocketMessages[") })
    }

    func testHTTP2EntryDropsPseudoHeadersAndDecodedContentEncoding() throws {
        let result = try importHAR("""
        {"log": {"entries": [{"startedDateTime": "2026-11-25T07:00:00.5+01:00", "time": 3,
          "request": {"method": "GET", "url": "https://API.test/v1/me?x=1#frag", "httpVersion": "http/2.0",
            "headers": [{"name": ":method", "value": "GET"}, {"name": ":authority", "value": "api.test"},
                        {"name": ":path", "value": "/v1/me?x=1"}, {"name": "authorization", "value": "Bearer \(Self.jwt)"}],
            "cookies": [{"name": "sid", "value": "s1"}]},
          "response": {"status": 200, "statusText": "", "httpVersion": "h3",
            "headers": [{"name": ":status", "value": "200"}, {"name": "content-encoding", "value": "br"}, {"name": "content-length", "value": "5"}],
            "content": {"size": 11, "text": "aGVsbG8gd29ybGQ=", "encoding": "base64"}}}]}}
        """)
        let session = result.recording.sessions[0]
        XCTAssertEqual(result.recording.capturedAt, Timestamp(iso8601: "2026-11-25T06:00:00.5Z"))
        XCTAssertEqual(session.server, Endpoint(host: "api.test", port: 443))
        let request = session.exchanges[0].request
        XCTAssertEqual(request.version, "HTTP/2")
        XCTAssertEqual(request.target, "/v1/me?x=1")
        XCTAssertEqual(request.headers, [HeaderField("Host", "api.test"), HeaderField("authorization", "Bearer \(Self.jwt)"), HeaderField("Cookie", "sid=s1")])
        let response = try XCTUnwrap(session.exchanges[0].response)
        XCTAssertEqual(response.version, "HTTP/3")
        XCTAssertEqual(response.headers, [], "pseudo-headers and the encoding of the decoded body are gone")
        XCTAssertEqual(response.body, .text("hello world"))
        XCTAssertEqual(session.anomalies.map(\.kind), [.decompression])
        XCTAssertTrue(session.anomalies[0].detail.hasPrefix("exchange 0: "), session.anomalies[0].detail)
        XCTAssertEqual(Set(session.auth.map(\.location)), ["header:authorization", "cookie:sid"])
    }

    func testFailedAndUnusableEntriesBecomeAnomaliesAndTheRestImports() throws {
        let result = try importHAR("""
        {"log": {"entries": [
          {"startedDateTime": "2026-11-25T06:00:03Z", "request": {"method": "GET", "url": "http://a.test/x", "headers": []},
           "response": {"status": 0, "headers": [], "content": {"size": 0}, "_error": "net::ERR_CONNECTION_REFUSED"}},
          {"startedDateTime": "yesterday", "request": {"method": "GET", "url": "http://a.test/"}},
          {"startedDateTime": "2026-11-25T06:00:01Z", "request": {"method": "GET", "url": "mailto:x@y"}},
          "junk",
          {"startedDateTime": "2026-11-25T06:00:00Z", "time": 1,
           "request": {"method": "POST", "url": "http://a.test/form", "headers": [{"name": "Host", "value": "a.test"}],
             "postData": {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "user", "value": "a d"}, {"name": "pass", "value": "p&w=é"}]}},
           "response": {"status": 302, "statusText": "Found", "headers": [{"name": "Location", "value": "/"}], "content": {"size": 40}}}
        ]}}
        """)
        let s = result.statistics
        XCTAssertEqual([s.entries, s.invalidEntries, s.failedRequests, s.sessions, s.exchanges], [5, 3, 1, 5, 2])
        let sessions = result.recording.sessions
        XCTAssertEqual(sessions[0].exchanges[0].request.body, .text("user=a+d&pass=p%26w%3D%C3%A9"))
        XCTAssertEqual(sessions[0].anomalies.map(\.kind), [.truncated], "content.size 40 but no text: the body is not in the HAR")
        let failed = try XCTUnwrap(sessions.first { $0.exchanges.first?.request.target == "/x" })
        XCTAssertNil(failed.exchanges[0].response)
        XCTAssertEqual(failed.anomalies.map(\.kind), [.upstreamError])
        XCTAssertTrue(failed.anomalies[0].detail.contains("net::ERR_CONNECTION_REFUSED"))
        let unusable = sessions.filter(\.exchanges.isEmpty)
        XCTAssertEqual(unusable.count, 3)
        XCTAssertTrue(unusable.allSatisfy { $0.anomalies.count == 1 && $0.anomalies[0].kind == .malformedHTTP && $0.anomalies[0].data != nil })
        XCTAssertTrue(unusable.contains { $0.anomalies[0].detail == "HAR entry 1 left out: \"startedDateTime\" is not an ISO 8601 time: yesterday" })
        XCTAssertTrue(unusable.contains { $0.anomalies[0].data == .text("\"junk\"") }, "the entry's JSON is kept")
    }

    /// fuzz-har found these: field names and methods the recording format
    /// refuses (not RFC 9110 tokens) must not reach it.
    func testNamesThatAreNotTokensAreLeftOutWithAnAnomaly() throws {
        let result = try importHAR("""
        {"log": {"entries": [
          {"startedDateTime": "2026-11-25T06:00:00Z", "request": {"method": "GET", "url": "http://a.test/", "headers": [{"name": "cone:8443", "value": "x"}, {"name": "", "value": "y"}, {"name": "Ok", "value": "z"}]},
           "response": {"status": 200, "headers": [{"name": "bad name", "value": "1"}], "content": {"text": ""}}},
          {"startedDateTime": "2026-11-25T06:00:01Z", "request": {"method": "GE T", "url": "http://a.test/"}, "response": {"status": 200}},
          {"startedDateTime": "2026-11-25T06:00:02Z", "request": {"method": "GET", "url": "http://a.test/"}, "response": {"status": 1000}}
        ]}}
        """)
        let first = result.recording.sessions[0]
        XCTAssertEqual(first.exchanges[0].request.headers, [HeaderField("Host", "a.test"), HeaderField("Ok", "z")])
        XCTAssertEqual(first.exchanges[0].response?.headers, [])
        XCTAssertEqual(first.anomalies.map(\.kind), [.malformedHTTP, .malformedHTTP, .malformedHTTP])
        XCTAssertEqual(result.statistics.invalidEntries, 2, "a method that is not a token, a status that is not three digits")
    }

    func testEntriesOfOneConnectionShareASessionInStartOrder() throws {
        func entry(_ at: String, _ connection: String?, _ path: String) -> String {
            let c = connection.map { "\"connection\": \"\($0)\", " } ?? ""
            return """
            {"startedDateTime": "2026-11-25T06:00:0\(at)Z", \(c)"serverIPAddress": "[::1]", "request": {"method": "GET", "url": "http://[::1]:8080\(path)", "headers": []},
             "response": {"status": 200, "headers": [], "content": {"text": "ok"}}}
            """
        }
        let result = try importHAR("{\"log\": {\"entries\": [\(entry("2", "9", "/b")), \(entry("1", "9", "/a")), \(entry("3", nil, "/c")), \(entry("4", nil, "/d"))]}}")
        let sessions = result.recording.sessions
        XCTAssertEqual(sessions.map { $0.exchanges.map(\.request.target) }, [["/a", "/b"], ["/c"], ["/d"]])
        XCTAssertEqual(sessions[0].server.description, "[::1]:8080")
        XCTAssertEqual(sessions[0].exchanges.map(\.request.headers), [[HeaderField("Host", "[::1]:8080")], [HeaderField("Host", "[::1]:8080")]])
    }

    func testFilesThatAreNotUsableHARGiveClearErrors() {
        func code(_ text: String, limits: HARImporter.Limits = .default) -> (CaptureError.Code, String)? {
            do {
                _ = try HARImporter(limits: limits).importHAR(Array(text.utf8), name: "x.har")
                return nil
            } catch {
                return (error.code, error.reason)
            }
        }
        let broken = code("{\"log\":\n[\n    2,1,3\n]\n\"request:\"}")
        XCTAssertEqual(broken?.0, .malformedJSON)
        XCTAssertEqual(broken?.1, "x.har: not valid JSON at line 5, column 1: expected ',' or '}' in object")
        XCTAssertThrowsError(try HARImporter().importHAR(Array("{\"log\":\n[\n    2,1,3\n]\n\"request:\"}".utf8), name: "x.har")) {
            let location = ($0 as? CaptureError)?.location
            XCTAssertEqual(location, ErrorLocation(file: "x.har", offset: 22, line: 5, column: 1))
        }
        XCTAssertEqual(code("{\"format\": \"authreplay/1\"}")?.0, .notHAR)
        XCTAssertEqual(code("{\"log\": {\"version\": \"1.2\"}}")?.1, "x.har: not a HAR file: \"log.entries\" is missing or not an array")
        XCTAssertEqual(code("{\"log\": {\"entries\": []}}", limits: HARImporter.Limits(maxFileBytes: 10))?.0, .harTooLarge)
        // Every proper prefix of a HAR is an error, never a crash.
        let whole = Array(Self.chromeWebSocket.utf8)
        for n in stride(from: 0, to: whole.count, by: 7) {
            XCTAssertThrowsError(try HARImporter().importHAR(whole[..<n], name: "cut.har"))
        }
    }

    func testDetectionByContent() {
        XCTAssertTrue(HARImporter.looksLikeHAR(Array("\u{FEFF} \n{\"log\"".utf8)))
        XCTAssertTrue(HARImporter.looksLikeHAR(Array("{".utf8)))
        XCTAssertFalse(HARImporter.looksLikeHAR([0xD4, 0xC3, 0xB2, 0xA1]))
        XCTAssertFalse(HARImporter.looksLikeHAR(Array("[{}]".utf8)))
        XCTAssertFalse(HARImporter.looksLikeHAR([]))
    }
}
